-- 0001: the database roles of the clinical schema.
--
-- Login roles with no password: on Aurora each is granted rds_iam, so it can only authenticate with a
-- short-lived IAM token through RDS Proxy (45 CFR 164.312(d) person or entity authentication). Each role gets
-- only the privileges its workload needs, granted with the tables in 0002 (164.308(a)(4) access authorization).
--
-- Roles are cluster-wide objects, so creation tolerates a role that already exists (another database on the
-- same server, or a concurrent runner on another database).

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['clinical_api', 'clinical_ingestion', 'clinical_reader'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a runner on another database of this server
      END;
    END IF;
    -- Aurora and RDS define rds_iam; a plain PostgreSQL server (tests) does not.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
      EXECUTE format('GRANT rds_iam TO %I', r);
    END IF;
  END LOOP;
END
$$;

-- Nobody but the owner and the granted roles may connect to this database or create objects in public.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO clinical_api, clinical_ingestion, clinical_reader', current_database());
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
