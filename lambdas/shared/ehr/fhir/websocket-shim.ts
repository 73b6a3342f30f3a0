/**
 * @medplum/core reads `WebSocket.CLOSING` and `WebSocket.CLOSED` when its module loads (for its subscription
 * client, which ingestion never uses). Node.js 22+ (Lambda's node24) has a global WebSocket; Node.js 20 (where
 * the tests run) does not. This gives Node 20 the constants only: constructing one throws, and nothing here
 * ever does. On Node 22+ it does nothing.
 */
const g = globalThis as { WebSocket?: unknown };
if (g.WebSocket === undefined) {
  g.WebSocket = class UnavailableWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    constructor() {
      throw new Error('WebSocket is not available in this runtime');
    }
  };
}

export {};
