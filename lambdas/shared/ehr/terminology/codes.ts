/**
 * Form checks of the code systems conditions and medications are stored in. They catch keying and
 * transcription errors (a transposed digit), not membership: membership needs the licensed release files.
 */

// Verhoeff dihedral-group tables (SNOMED CT identifiers end in a Verhoeff check digit).
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** A SNOMED CT concept id: 6-18 digits, no leading zero, a valid Verhoeff check digit. */
export function isWellFormedSnomed(code: string): boolean {
  if (!/^[1-9]\d{5,17}$/.test(code)) return false;
  let c = 0;
  for (let i = 0; i < code.length; i++) {
    c = D[c][P[i % 8][code.charCodeAt(code.length - 1 - i) - 48]];
  }
  return c === 0;
}

/** An ICD-10 / ICD-10-CM code: letter, two characters, optional dot and up to four more. */
export function isWellFormedIcd10(code: string): boolean {
  return /^[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?$/.test(code);
}

/** An RxNorm concept id (RXCUI): digits only. */
export function isWellFormedRxnorm(code: string): boolean {
  return /^[1-9]\d{0,11}$/.test(code);
}
