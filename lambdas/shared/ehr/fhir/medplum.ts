/**
 * The one import site of @medplum/core in ingestion: the shim must run before the library's module body.
 */
import './websocket-shim';

export {
  Hl7Message,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
export type { Hl7Field, Hl7Segment } from '@medplum/core';
