/**
 * The pinned logical ids of the ingestion tier's stateful resources, per profile and stack: the queues (messages
 * in flight), the function log groups, the partner user pool and the vendor credentials. Renaming one would make
 * CloudFormation replace it: in-flight messages or every vendor's credential gone. Changing this list needs a
 * migration plan.
 */
const COMMON = [
  'IntakeDeadLetterQueueA5C12DB5',
  'IntakeLogsB4E72C77',
  'PartnerAuthUserPool41F66ABD',
  'ProcessorDeadLetterQueue959FA4E1',
  'ProcessorLogs3A07F617',
  'Queue381943A6',
  'QueueDeadLetterQueue27D1B28A',
  'ReconcilerDeadLetterQueue7D4E72A4',
  'ReconcilerLogs9E8D7B0E',
];
const PRODUCTION_CREDENTIALS = [
  'PartnerAuthCredentialAcmeLabHl71C233C6B',
  'PartnerAuthCredentialMeridianFhir76884A34',
  'PartnerAuthCredentialNorthwindFhir8BC8F3A2',
  'PartnerAuthCredentialStateLabElrECFBEC24',
];

export const INGESTION_PINNED: Record<string, Record<string, string[]>> = {
  poc: { 'Ingestion-us-east-1': [...COMMON, 'PartnerAuthCredentialPilotEhrC2326D40'] },
  production: {
    'Ingestion-us-east-1': [...COMMON, ...PRODUCTION_CREDENTIALS],
    'Ingestion-us-west-2': [...COMMON, ...PRODUCTION_CREDENTIALS],
  },
};
