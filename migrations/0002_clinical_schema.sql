-- 0002: the canonical clinical schema.
--
-- Minimum necessary (45 CFR 164.502(b)): patients are held by their source-system identifier, birth date and
-- administrative gender only; no names, addresses or contact details. Observations are canonical: one LOINC
-- code, one UCUM unit, one numeric value at one effective time, traceable to the source system and to the
-- ingestion receipt that brought them (integrity, 164.312(c)(1)).

CREATE SCHEMA clinical;
REVOKE ALL ON SCHEMA clinical FROM PUBLIC;

CREATE TABLE clinical.patients (
  patient_id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  source_system       text        NOT NULL CHECK (source_system ~ '^[a-z0-9][a-z0-9._:-]{0,127}$'),
  source_patient_id   text        NOT NULL CHECK (length(source_patient_id) BETWEEN 1 AND 128),
  birth_date          date        CHECK (birth_date >= DATE '1880-01-01'),
  -- FHIR R4 AdministrativeGender
  administrative_gender text      CHECK (administrative_gender IN ('male', 'female', 'other', 'unknown')),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT patients_source_identity UNIQUE (source_system, source_patient_id)
);

-- Ingestion receipts: one per message received (FHIR resource or Bundle, HL7 v2 message). The counts reconcile
-- what arrived with what was stored and what was quarantined.
CREATE TABLE clinical.ingestion_receipts (
  receipt_id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  source_system       text        NOT NULL CHECK (source_system ~ '^[a-z0-9][a-z0-9._:-]{0,127}$'),
  message_format      text        NOT NULL CHECK (message_format IN ('fhir-r4', 'hl7v2')),
  -- The sender's own message id (FHIR Bundle.identifier, HL7 MSH-10): a resend is recognised, not duplicated.
  source_message_id   text        CHECK (length(source_message_id) BETWEEN 1 AND 199),
  status              text        NOT NULL DEFAULT 'received'
                                  CHECK (status IN ('received', 'stored', 'quarantined')),
  -- Why a message was quarantined: a machine-readable code and text that never quotes the payload (no PHI).
  reason              text        CHECK (length(reason) <= 1000),
  resource_count      integer     NOT NULL DEFAULT 0 CHECK (resource_count >= 0),
  stored_count        integer     NOT NULL DEFAULT 0 CHECK (stored_count >= 0),
  quarantined_count   integer     NOT NULL DEFAULT 0 CHECK (quarantined_count >= 0),
  -- The raw payload as received, in the documents bucket (SSE-KMS), and its SHA-256 for integrity checks.
  payload_object_key  text        NOT NULL CHECK (length(payload_object_key) BETWEEN 1 AND 1024),
  payload_sha256      text        NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
  received_at         timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  completed_at        timestamptz,
  CONSTRAINT receipts_counts_within_total CHECK (stored_count + quarantined_count <= resource_count),
  -- A finished receipt accounts for every resource it carried: stored + quarantined = received.
  CONSTRAINT receipts_reconciled_when_complete CHECK (
    status = 'received' OR (stored_count + quarantined_count = resource_count AND completed_at IS NOT NULL)
  ),
  CONSTRAINT receipts_quarantine_has_reason CHECK (status <> 'quarantined' OR reason IS NOT NULL),
  CONSTRAINT receipts_source_message UNIQUE (source_system, source_message_id)
);
CREATE INDEX ingestion_receipts_status_received_at ON clinical.ingestion_receipts (status, received_at);

-- A receipt moves forward only: received -> stored | quarantined, and quarantined -> stored after a reprocess.
CREATE FUNCTION clinical.receipts_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.receipt_id <> OLD.receipt_id OR NEW.received_at <> OLD.received_at
     OR NEW.payload_sha256 <> OLD.payload_sha256 OR NEW.payload_object_key <> OLD.payload_object_key THEN
    RAISE EXCEPTION 'ingestion receipt % is immutable except for its status and counts', OLD.receipt_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status <> NEW.status AND NOT (
       (OLD.status = 'received' AND NEW.status IN ('stored', 'quarantined'))
       OR (OLD.status = 'quarantined' AND NEW.status = 'stored')) THEN
    RAISE EXCEPTION 'ingestion receipt % cannot move from % to %', OLD.receipt_id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER ingestion_receipts_forward_only
  BEFORE UPDATE ON clinical.ingestion_receipts
  FOR EACH ROW EXECUTE FUNCTION clinical.receipts_forward_only();

CREATE TABLE clinical.observations (
  observation_id      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id          uuid        NOT NULL REFERENCES clinical.patients (patient_id),
  -- LOINC codes are 1-7 digits, a hyphen and a mod-10 check digit, e.g. 8867-4 (heart rate).
  loinc_code          text        NOT NULL CHECK (loinc_code ~ '^[0-9]{1,7}-[0-9]$'),
  -- UCUM case-sensitive codes, e.g. /min, mm[Hg], Cel, %: no whitespace, never empty.
  ucum_unit           text        NOT NULL CHECK (ucum_unit ~ '^[!-~]{1,64}$'),
  value               numeric     NOT NULL,
  effective_at        timestamptz NOT NULL,
  -- FHIR R4 ObservationStatus values that carry a result.
  status              text        NOT NULL DEFAULT 'final'
                                  CHECK (status IN ('preliminary', 'final', 'amended', 'corrected', 'entered-in-error')),
  source_system       text        NOT NULL CHECK (source_system ~ '^[a-z0-9][a-z0-9._:-]{0,127}$'),
  source_observation_id text      NOT NULL CHECK (length(source_observation_id) BETWEEN 1 AND 128),
  receipt_id          uuid        NOT NULL REFERENCES clinical.ingestion_receipts (receipt_id),
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT observations_source_identity UNIQUE (source_system, source_observation_id)
);
CREATE INDEX observations_patient_code_time ON clinical.observations (patient_id, loinc_code, effective_at DESC);
CREATE INDEX observations_receipt ON clinical.observations (receipt_id);

-- Quarantine: one entry per rejected resource, pointing at its copy under the bucket's quarantine/ prefix.
CREATE TABLE clinical.quarantine_entries (
  quarantine_id       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  receipt_id          uuid        NOT NULL REFERENCES clinical.ingestion_receipts (receipt_id),
  -- Position of the resource in its message (Bundle entry, HL7 segment group); null for a whole message.
  resource_index      integer     CHECK (resource_index >= 0),
  reason_code         text        NOT NULL CHECK (reason_code ~ '^[a-z][a-z0-9-]{1,63}$'),
  detail              text        CHECK (length(detail) <= 1000),
  payload_object_key  text        NOT NULL CHECK (length(payload_object_key) BETWEEN 1 AND 1024),
  quarantined_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at         timestamptz,
  resolution          text        CHECK (resolution IN ('reprocessed', 'discarded')),
  CONSTRAINT quarantine_resolution_complete CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX quarantine_entries_unresolved ON clinical.quarantine_entries (quarantined_at) WHERE resolved_at IS NULL;
CREATE INDEX quarantine_entries_receipt ON clinical.quarantine_entries (receipt_id);

-- Least privilege per workload; no role may DELETE: clinical records and receipts are retained.
GRANT USAGE ON SCHEMA clinical TO clinical_api, clinical_ingestion, clinical_reader;
GRANT SELECT ON clinical.patients, clinical.observations, clinical.ingestion_receipts TO clinical_api;
GRANT SELECT, INSERT, UPDATE ON clinical.patients, clinical.observations, clinical.ingestion_receipts,
  clinical.quarantine_entries TO clinical_ingestion;
GRANT SELECT ON ALL TABLES IN SCHEMA clinical TO clinical_reader;
