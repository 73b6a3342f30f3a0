-- 0003: EHR ingestion. Conditions and medication requests beside observations, the source's own ordering of
-- updates, the history of every changed record, and the adapter each receipt was read with.
--
-- Integrity (45 CFR 164.312(c)(1)): a record is only ever changed by a newer version from its source (the
-- source's last-updated time decides, so an update that arrives late cannot overwrite a newer one), and the
-- version it replaces is kept in the history tables; nothing is deleted.

-- When the source last changed a record (FHIR meta.lastUpdated or a vendor extension, HL7 MSH-7 / EVN-2).
-- NULL when the source does not say: such a record is only replaced by one that does, or by a newer receipt.
ALTER TABLE clinical.patients ADD COLUMN source_updated_at timestamptz;
-- A patient known only because a record referred to it (its demographics have not arrived yet).
ALTER TABLE clinical.patients ADD COLUMN referenced_only boolean NOT NULL DEFAULT false;
ALTER TABLE clinical.observations ADD COLUMN source_updated_at timestamptz;
ALTER TABLE clinical.observations ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- The adapter (vendor dialect) that read the message, so a quarantined message can be re-read after a fix.
ALTER TABLE clinical.ingestion_receipts ADD COLUMN adapter text CHECK (adapter ~ '^[a-z0-9][a-z0-9.-]{0,63}$');
-- How many times the reconciler re-enqueued a receipt that stayed in flight too long (capped; then it alarms).
ALTER TABLE clinical.ingestion_receipts ADD COLUMN redrive_count integer NOT NULL DEFAULT 0 CHECK (redrive_count >= 0);

CREATE TABLE clinical.conditions (
  condition_id        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id          uuid        NOT NULL REFERENCES clinical.patients (patient_id),
  code_system         text        NOT NULL CHECK (code_system IN (
                                    'http://snomed.info/sct', 'http://hl7.org/fhir/sid/icd-10-cm',
                                    'http://hl7.org/fhir/sid/icd-10')),
  code                text        NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9.]{1,17}$'),
  -- FHIR condition-clinical and condition-ver-status codes.
  clinical_status     text        CHECK (clinical_status IN (
                                    'active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved')),
  verification_status text        CHECK (verification_status IN (
                                    'unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted',
                                    'entered-in-error')),
  onset_at            timestamptz,
  recorded_at         timestamptz,
  source_system       text        NOT NULL CHECK (source_system ~ '^[a-z0-9][a-z0-9._:-]{0,127}$'),
  source_condition_id text        NOT NULL CHECK (length(source_condition_id) BETWEEN 1 AND 128),
  source_updated_at   timestamptz,
  receipt_id          uuid        NOT NULL REFERENCES clinical.ingestion_receipts (receipt_id),
  recorded_in_store_at timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT conditions_source_identity UNIQUE (source_system, source_condition_id)
);
CREATE INDEX conditions_patient ON clinical.conditions (patient_id);
CREATE INDEX conditions_receipt ON clinical.conditions (receipt_id);

CREATE TABLE clinical.medication_requests (
  medication_request_id uuid      PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id          uuid        NOT NULL REFERENCES clinical.patients (patient_id),
  -- RxNorm concept id (RXCUI).
  rxnorm_code         text        NOT NULL CHECK (rxnorm_code ~ '^[1-9][0-9]{0,11}$'),
  -- FHIR medicationrequest-status and medicationrequest-intent codes.
  status              text        NOT NULL CHECK (status IN (
                                    'active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped',
                                    'draft', 'unknown')),
  intent              text        NOT NULL CHECK (intent IN (
                                    'proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order',
                                    'instance-order', 'option')),
  authored_at         timestamptz,
  source_system       text        NOT NULL CHECK (source_system ~ '^[a-z0-9][a-z0-9._:-]{0,127}$'),
  source_medication_request_id text NOT NULL CHECK (length(source_medication_request_id) BETWEEN 1 AND 128),
  source_updated_at   timestamptz,
  receipt_id          uuid        NOT NULL REFERENCES clinical.ingestion_receipts (receipt_id),
  recorded_in_store_at timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT medication_requests_source_identity UNIQUE (source_system, source_medication_request_id)
);
CREATE INDEX medication_requests_patient ON clinical.medication_requests (patient_id);
CREATE INDEX medication_requests_receipt ON clinical.medication_requests (receipt_id);

-- Every version a newer one replaced, as it was (row image as JSON), with the receipt that replaced it.
CREATE TABLE clinical.record_history (
  history_id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name          text        NOT NULL CHECK (table_name IN (
                                    'patients', 'observations', 'conditions', 'medication_requests')),
  record_id           uuid        NOT NULL,
  previous            jsonb       NOT NULL,
  replaced_by_receipt uuid,
  replaced_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX record_history_record ON clinical.record_history (table_name, record_id);

CREATE FUNCTION clinical.keep_replaced_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  previous jsonb := to_jsonb(OLD);
BEGIN
  -- Through jsonb: each table names its key differently, and PL/pgSQL resolves OLD.<column> per table.
  INSERT INTO clinical.record_history (table_name, record_id, previous, replaced_by_receipt)
  VALUES (TG_TABLE_NAME,
          (previous ->> CASE TG_TABLE_NAME
                          WHEN 'patients' THEN 'patient_id'
                          WHEN 'observations' THEN 'observation_id'
                          WHEN 'conditions' THEN 'condition_id'
                          ELSE 'medication_request_id'
                        END)::uuid,
          previous,
          (to_jsonb(NEW) ->> 'receipt_id')::uuid);
  RETURN NEW;
END
$$;
CREATE TRIGGER patients_keep_history BEFORE UPDATE ON clinical.patients
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION clinical.keep_replaced_version();
CREATE TRIGGER observations_keep_history BEFORE UPDATE ON clinical.observations
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION clinical.keep_replaced_version();
CREATE TRIGGER conditions_keep_history BEFORE UPDATE ON clinical.conditions
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION clinical.keep_replaced_version();
CREATE TRIGGER medication_requests_keep_history BEFORE UPDATE ON clinical.medication_requests
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION clinical.keep_replaced_version();

-- Reconciliation: what arrived, per source system, against where it went. A receipt is in flight until the
-- processor commits it; a completed receipt accounts for each record it carried (stored or quarantined).
CREATE VIEW clinical.ingestion_reconciliation AS
SELECT r.source_system,
       count(*)                                                  AS received,
       count(*) FILTER (WHERE r.status = 'stored')               AS stored,
       count(*) FILTER (WHERE r.status = 'quarantined')          AS quarantined,
       count(*) FILTER (WHERE r.status = 'received')             AS in_flight,
       min(r.received_at) FILTER (WHERE r.status = 'received')   AS oldest_in_flight,
       coalesce(sum(r.resource_count) FILTER (WHERE r.status <> 'received'), 0)    AS records_received,
       coalesce(sum(r.stored_count) FILTER (WHERE r.status <> 'received'), 0)      AS records_stored,
       coalesce(sum(r.quarantined_count) FILTER (WHERE r.status <> 'received'), 0) AS records_quarantined
FROM clinical.ingestion_receipts r
GROUP BY r.source_system;

GRANT SELECT, INSERT, UPDATE ON clinical.conditions, clinical.medication_requests TO clinical_ingestion;
GRANT INSERT ON clinical.record_history TO clinical_ingestion;
GRANT SELECT ON clinical.ingestion_reconciliation TO clinical_ingestion;
GRANT SELECT ON clinical.conditions, clinical.medication_requests TO clinical_api;
GRANT SELECT ON clinical.conditions, clinical.medication_requests, clinical.record_history,
  clinical.ingestion_reconciliation TO clinical_reader;
