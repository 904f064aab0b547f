-- The schema db.py's migrations create, for a new database (generated: python -m modelpick_tui.db).
-- migrations: m001_catalog m002_endpoints m003_evals m004_review m004_failures m005_latest_label_view m006_run_lease m007_checks m008_stream_timing m009_prompt_versions m010_failure_mode_suggestions m011_load_tests m012_prices m013_model_param_facts m014_model_sources m015_origin_and_tier m016_engine_reports m017_modelscope_original
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
CREATE TABLE "models" (
   "id" TEXT PRIMARY KEY NOT NULL,
   "author" TEXT,
   "task" TEXT,
   "library" TEXT,
   "tags" TEXT,
   "license" TEXT,
   "permissive" INTEGER DEFAULT 0,
   "gated" TEXT DEFAULT '',
   "downloads" INTEGER DEFAULT 0,
   "likes" INTEGER DEFAULT 0,
   "trending" INTEGER DEFAULT 0,
   "created_at" TEXT,
   "last_modified" TEXT,
   "sha" TEXT,
   "params" INTEGER,
   "size_class" TEXT,
   "context_length" INTEGER,
   "architecture" TEXT,
   "formats" TEXT,
   "languages" TEXT,
   "base_model" TEXT,
   "config_json" TEXT,
   "is_local" INTEGER DEFAULT 0,
   "source" TEXT,
   "synced_at" TEXT
, "params_active" INTEGER, "params_source" TEXT, "native_format" TEXT, "origin" TEXT NOT NULL DEFAULT 'unknown', "base_origin" TEXT NOT NULL DEFAULT 'unknown', tier text generated always as (case when params is null or params <= 0 then 'unknown' when params < 32000000000 then 'low' when params < 300000000000 then 'medium' else 'high' end) virtual);
CREATE VIRTUAL TABLE "models_fts" USING FTS5 (
    "id", "author", "task", "tags", "license", "architecture", "base_model",
    tokenize='unicode61 tokenchars ''_''',
    content="models"
);
CREATE TABLE "model_files" (
   "model_id" TEXT REFERENCES "models"("id"),
   "filename" TEXT,
   "size" INTEGER,
   "quant" TEXT,
   "format" TEXT,
   "sha256" TEXT,
   PRIMARY KEY ("model_id", "filename")
);
CREATE TABLE "cards" (
   "model_id" TEXT PRIMARY KEY,
   "text" TEXT,
   "sha" TEXT,
   "fetched_at" TEXT,
   "source" TEXT
);
CREATE TABLE "shortlist" (
   "model_id" TEXT PRIMARY KEY,
   "note" TEXT,
   "added_at" TEXT,
   "updated_at" TEXT
);
CREATE TABLE "local_files" (
   "path" TEXT PRIMARY KEY,
   "model_id" TEXT,
   "size" INTEGER,
   "quant" TEXT,
   "architecture" TEXT,
   "params" INTEGER,
   "context_length" INTEGER,
   "metadata_json" TEXT,
   "scanned_at" TEXT,
   "error" TEXT
);
CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
CREATE TABLE "endpoints" (
   "name" TEXT PRIMARY KEY NOT NULL,
   "kind" TEXT,
   "base_url" TEXT,
   "model" TEXT,
   "served_model" TEXT,
   "pid" INTEGER,
   "pgid" INTEGER,
   "port" INTEGER,
   "argv_json" TEXT,
   "spec_json" TEXT,
   "status" TEXT DEFAULT 'stopped',
   "log_path" TEXT,
   "detached" INTEGER DEFAULT 0,
   "started_at" TEXT,
   "ready_at" TEXT,
   "time_to_ready_s" REAL,
   "proc_create_time" REAL,
   "error" TEXT
);
CREATE TABLE "prompt_sets" (
   "id" TEXT PRIMARY KEY,
   "name" TEXT,
   "path" TEXT,
   "sha256" TEXT,
   "n_prompts" INTEGER,
   "loaded_at" TEXT
);
CREATE TABLE "prompts" (
   "set_id" TEXT,
   "id" TEXT,
   "prompt" TEXT,
   "system" TEXT,
   "reference" TEXT,
   "tags_json" TEXT,
   "line" INTEGER, "checks_json" TEXT,
   PRIMARY KEY ("set_id", "id")
);
CREATE TABLE "runs" (
   "id" TEXT PRIMARY KEY,
   "name" TEXT,
   "kind" TEXT,
   "prompt_set_id" TEXT,
   "params_json" TEXT,
   "endpoints_json" TEXT,
   "status" TEXT,
   "created_at" TEXT,
   "finished_at" TEXT
, "owner_pid" INTEGER, "owner_started" REAL, "owner_since" TEXT);
CREATE TABLE "traces" (
   "id" TEXT PRIMARY KEY,
   "run_id" TEXT,
   "prompt_set_id" TEXT,
   "prompt_id" TEXT,
   "turn" INTEGER DEFAULT 0,
   "parent_id" TEXT,
   "prompt" TEXT,
   "system" TEXT,
   "reference" TEXT,
   "tags_json" TEXT,
   "messages_json" TEXT,
   "endpoint" TEXT,
   "base_url" TEXT,
   "model" TEXT,
   "model_ref" TEXT,
   "params_json" TEXT,
   "output" TEXT,
   "finish_reason" TEXT,
   "error" TEXT,
   "ttft_ms" REAL,
   "latency_ms" REAL,
   "tokens_in" INTEGER,
   "tokens_out" INTEGER,
   "tokens_per_s" REAL,
   "source" TEXT,
   "created_at" TEXT
, "queue_ms" REAL, "timing" TEXT, "prompt_version" TEXT);
CREATE TABLE "labels" (
   "id" INTEGER PRIMARY KEY,
   "trace_id" TEXT NOT NULL,
   "verdict" TEXT NOT NULL,
   "note" TEXT,
   "tags_json" TEXT,
   "labeler" TEXT,
   "created_at" TEXT
, "undo_of" INTEGER);
CREATE TABLE "preferences" (
   "id" INTEGER PRIMARY KEY,
   "left_trace_id" TEXT,
   "right_trace_id" TEXT,
   "choice" TEXT,
   "blind" INTEGER,
   "note" TEXT,
   "labeler" TEXT,
   "created_at" TEXT
);
CREATE TABLE "failure_modes" (
   "id" TEXT PRIMARY KEY,
   "name" TEXT,
   "terms_json" TEXT,
   "origin" TEXT,
   "status" TEXT,
   "merged_into" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
, "suggested_name" TEXT, "suggested_by" TEXT);
CREATE TABLE "trace_failure_modes" (
   "trace_id" TEXT PRIMARY KEY,
   "mode_id" TEXT,
   "source" TEXT,
   "created_at" TEXT
);
CREATE TABLE "rubrics" (
   "run_id" TEXT PRIMARY KEY,
   "text" TEXT,
   "updated_at" TEXT
);
CREATE TABLE "judge_verdicts" (
   "id" INTEGER PRIMARY KEY,
   "trace_id" TEXT,
   "judge_endpoint" TEXT,
   "judge_model" TEXT,
   "rubric_sha256" TEXT,
   "verdict" TEXT,
   "reason" TEXT,
   "raw" TEXT,
   "error" TEXT,
   "created_at" TEXT
);
CREATE TABLE "decisions" (
   "id" INTEGER PRIMARY KEY,
   "model" TEXT,
   "created_at" TEXT,
   "report_json" TEXT,
   "markdown_path" TEXT,
   "json_path" TEXT
);
CREATE TABLE "failure_clusterings" (
   "id" INTEGER PRIMARY KEY,
   "method" TEXT,
   "n_traces" INTEGER,
   "n_modes" INTEGER,
   "silhouette" REAL,
   "seconds" REAL,
   "created_at" TEXT
);
CREATE TABLE "note_embeddings" (
   "sha" TEXT PRIMARY KEY,
   "model" TEXT,
   "vector" BLOB
);
CREATE TABLE "run_answers" (
   "run_id" TEXT,
   "prompt_id" TEXT,
   "endpoint" TEXT,
   "trace_id" TEXT,
   PRIMARY KEY ("run_id", "prompt_id", "endpoint")
);
CREATE TABLE "check_results" (
   "trace_id" TEXT,
   "idx" INTEGER,
   "type" TEXT,
   "check_json" TEXT,
   "passed" INTEGER,
   "reason" TEXT,
   "checked_at" TEXT,
   PRIMARY KEY ("trace_id", "idx")
);
CREATE TABLE "prompt_versions" (
   "id" TEXT PRIMARY KEY,
   "name" TEXT,
   "system" TEXT,
   "examples_json" TEXT,
   "parent" TEXT,
   "created_at" TEXT
);
CREATE TABLE "load_tests" (
   "id" TEXT PRIMARY KEY,
   "created_at" TEXT,
   "finished_at" TEXT,
   "status" TEXT,
   "endpoint" TEXT,
   "model" TEXT,
   "hardware" TEXT,
   "slo" TEXT,
   "target" REAL,
   "max_tokens" INTEGER,
   "prompt_set" TEXT,
   "capacity_concurrency" INTEGER,
   "capacity_rps" REAL,
   "capacity_output_tps" REAL,
   "capacity_total_tps" REAL,
   "attainment" REAL,
   "ci_low" REAL,
   "ci_high" REAL,
   "sentence" TEXT,
   "reason" TEXT,
   "error" TEXT,
   "token_count_source" TEXT,
   "max_concurrency" INTEGER,
   "duration_s" REAL
);
CREATE TABLE "load_levels" (
   "test_id" TEXT REFERENCES "load_tests"("id"),
   "concurrency" INTEGER,
   "requests" INTEGER,
   "ok" INTEGER,
   "errors" INTEGER,
   "duration_s" REAL,
   "rps" REAL,
   "output_tps" REAL,
   "total_tps" REAL,
   "ttft_p50" REAL,
   "ttft_p90" REAL,
   "ttft_p99" REAL,
   "tpot_p50" REAL,
   "tpot_p90" REAL,
   "tpot_p99" REAL,
   "itl_p50" REAL,
   "itl_p90" REAL,
   "itl_p99" REAL,
   "e2e_p50" REAL,
   "e2e_p90" REAL,
   "e2e_p99" REAL,
   "attained" INTEGER,
   "attainment" REAL,
   "ci_low" REAL,
   "ci_high" REAL,
   "verdict" TEXT,
   "max_in_flight" INTEGER,
   "client_cpu" REAL,
   "extended" INTEGER,
   "error" TEXT,
   "created_at" TEXT,
   PRIMARY KEY ("test_id", "concurrency")
);
CREATE TABLE hardware_prices (hardware text primary key collate nocase, usd_per_hour real not null, updated_at text);
CREATE TABLE api_prices (model text primary key collate nocase, usd_per_1m_input real not null, usd_per_1m_output real not null, updated_at text);
CREATE TABLE "model_sources" (
   "model_id" TEXT,
   "source" TEXT,
   "source_id" TEXT,
   "url" TEXT,
   "synced_at" TEXT, hf_original TEXT,
   PRIMARY KEY ("model_id", "source")
);
CREATE TABLE "hosted_models" (
   "provider" TEXT,
   "id" TEXT,
   "name" TEXT,
   "hugging_face_id" TEXT,
   "context_length" INTEGER,
   "prompt_price" REAL,
   "completion_price" REAL,
   "synced_at" TEXT,
   PRIMARY KEY ("provider", "id")
);
CREATE TABLE "origin_entries" (
   "org" TEXT PRIMARY KEY,
   "name" TEXT,
   "country" TEXT,
   "source" TEXT,
   "checked" TEXT
);
CREATE TABLE "engine_reports" (
   "id" INTEGER PRIMARY KEY,
   "server" TEXT,
   "backend" TEXT,
   "engine" TEXT,
   "model_ref" TEXT,
   "quant" TEXT,
   "context" INTEGER,
   "weights_bytes" INTEGER,
   "kv_bytes" INTEGER,
   "compute_bytes" INTEGER,
   "kv_tokens" INTEGER,
   "max_concurrency" REAL,
   "device" TEXT,
   "weights_source" TEXT,
   "process_memory_kind" TEXT,
   "process_memory_bytes" INTEGER,
   "measured_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX "idx_models_downloads"
    ON "models" ("downloads");
CREATE INDEX "idx_models_likes"
    ON "models" ("likes");
CREATE INDEX "idx_models_trending"
    ON "models" ("trending");
CREATE INDEX "idx_models_last_modified"
    ON "models" ("last_modified");
CREATE INDEX "idx_models_params"
    ON "models" ("params");
CREATE INDEX "idx_models_task"
    ON "models" ("task");
CREATE INDEX "idx_models_license"
    ON "models" ("license");
CREATE INDEX "idx_models_author"
    ON "models" ("author");
CREATE INDEX "idx_models_size_class"
    ON "models" ("size_class");
CREATE INDEX "idx_traces_run_id_prompt_id_endpoint"
    ON "traces" ("run_id", "prompt_id", "endpoint");
CREATE INDEX "idx_traces_prompt_id"
    ON "traces" ("prompt_id");
CREATE INDEX "idx_traces_model"
    ON "traces" ("model");
CREATE INDEX "idx_labels_trace_id_id"
    ON "labels" ("trace_id", "id");
CREATE INDEX "idx_preferences_left_trace_id"
    ON "preferences" ("left_trace_id");
CREATE INDEX "idx_preferences_right_trace_id"
    ON "preferences" ("right_trace_id");
CREATE INDEX "idx_trace_failure_modes_mode_id"
    ON "trace_failure_modes" ("mode_id");
CREATE INDEX "idx_judge_verdicts_trace_id"
    ON "judge_verdicts" ("trace_id");
CREATE UNIQUE INDEX "idx_prompt_versions_name"
    ON "prompt_versions" ("name");
CREATE INDEX "idx_traces_prompt_version"
    ON "traces" ("prompt_version");
CREATE INDEX "idx_load_tests_model_slo"
    ON "load_tests" ("model", "slo");
CREATE INDEX "idx_models_params_active"
    ON "models" ("params_active");
CREATE INDEX "idx_model_sources_source_source_id"
    ON "model_sources" ("source", "source_id");
CREATE INDEX idx_hosted_models_hf ON hosted_models (hugging_face_id COLLATE NOCASE);
CREATE INDEX "idx_models_origin"
    ON "models" ("origin");
CREATE INDEX "idx_models_base_origin"
    ON "models" ("base_origin");
CREATE INDEX "idx_models_tier"
    ON "models" ("tier");
CREATE INDEX "idx_engine_reports_model_ref"
    ON "engine_reports" ("model_ref");
CREATE INDEX "idx_engine_reports_server"
    ON "engine_reports" ("server");
CREATE VIEW "latest_labels" AS 
        select l.* from labels l
        where l.id = (select max(newer.id) from labels newer where newer.trace_id = l.trace_id);
CREATE TRIGGER "models_ai" AFTER INSERT ON "models" BEGIN
  INSERT INTO "models_fts" (rowid, "id", "author", "task", "tags", "license", "architecture", "base_model") VALUES (new.rowid, new."id", new."author", new."task", new."tags", new."license", new."architecture", new."base_model");
END;
CREATE TRIGGER "models_ad" AFTER DELETE ON "models" BEGIN
  INSERT INTO "models_fts" ("models_fts", rowid, "id", "author", "task", "tags", "license", "architecture", "base_model") VALUES('delete', old.rowid, old."id", old."author", old."task", old."tags", old."license", old."architecture", old."base_model");
END;
CREATE TRIGGER "models_au" after update of "id", "author", "task", "tags", "license", "architecture", "base_model" on "models" begin
  insert into "models_fts" ("models_fts", rowid, "id", "author", "task", "tags", "license", "architecture", "base_model") values('delete', old.rowid, old."id", old."author", old."task", old."tags", old."license", old."architecture", old."base_model");
  insert into "models_fts" (rowid, "id", "author", "task", "tags", "license", "architecture", "base_model") values (new.rowid, new."id", new."author", new."task", new."tags", new."license", new."architecture", new."base_model");
end;
