-- SQL floor of one score submission (bench/panels.sh): the statements POST
-- /api/v1/panels/{id}/queue/{code}/score sends after its session check (served from the session
-- cache under load), in one transaction as the server sends them: the grant checks, the panel
-- held FOR SHARE against a lock, the membership, the entry by panel code, the assignment, the
-- existing versions, the rubric, the score and its audit event (the content hash is computed by
-- the server; a fixed 64-hex value stands in, and the payload names a fixed application and user
-- of the same length; JSON colons are followed by a space, since pgbench reads ":name" as a
-- variable). Variables (-D): panel, and pairs, the row count of bench_pairs (every active
-- assignment of the panel, numbered from 1, built by bench/panels.sh): each transaction draws
-- one at random, as the API step does, so that the writes spread over the same keys; that
-- lookup by primary key is the one statement the API does not send. Every transaction writes
-- a new version number so the unique key holds when a pair is drawn twice.
\set v random(2, 2000000000)
\set i random(1, :pairs)
SELECT user_id AS user, application_id AS application, panel_code AS code FROM bench_pairs WHERE n = :i \gset
BEGIN;
SELECT "grants"."id" FROM "grants" WHERE (((("grants"."user_id" = :user) AND ("grants"."permission" = 'panel_score')) AND ("grants"."object_kind" = 'panel')) AND ("grants"."revoked_at" IS NULL)) LIMIT 1;
SELECT "panels"."id", "panels"."opening_id", "panels"."agency_id", "panels"."stage_code", "panels"."part_code", "panels"."rubric_id", "panels"."min_scorers", "panels"."blind", "panels"."aggregate", "panels"."divergence_spread_x100", "panels"."status", "panels"."assignment_seed", "panels"."started_at", "panels"."locked_at", "panels"."created_at", "panels"."updated_at" FROM "panels" WHERE ("panels"."id" = :panel) LIMIT 1 FOR SHARE;
SELECT "grants"."id" FROM "grants" WHERE ((((("grants"."user_id" = :user) AND ("grants"."permission" = 'panel_score')) AND ("grants"."object_kind" = 'panel')) AND ("grants"."object_id" = :panel)) AND ("grants"."revoked_at" IS NULL)) LIMIT 1;
SELECT "panel_members"."panel_id", "panel_members"."user_id", "panel_members"."chair", "panel_members"."internal", "panel_members"."political_party_member", "panel_members"."grant_id", "panel_members"."added_at", "panel_members"."removed_at" FROM "panel_members" WHERE ((("panel_members"."panel_id" = :panel) AND ("panel_members"."user_id" = :user)) AND ("panel_members"."removed_at" IS NULL)) LIMIT 1;
SELECT "panel_entries".* FROM "panel_entries" WHERE (("panel_entries"."panel_id" = :panel) AND ("panel_entries"."panel_code" = :code)) LIMIT 1;
SELECT "panel_assignments".* FROM "panel_assignments" WHERE ((("panel_assignments"."panel_id" = :panel) AND ("panel_assignments"."application_id" = :application)) AND ("panel_assignments"."user_id" = :user)) AND ("panel_assignments"."recused_at" IS NULL) LIMIT 1;
SELECT "panel_scores".* FROM "panel_scores" WHERE ((("panel_scores"."panel_id" = :panel) AND ("panel_scores"."application_id" = :application)) AND ("panel_scores"."user_id" = :user)) ORDER BY "panel_scores"."application_id" ASC, "panel_scores"."user_id" ASC, "panel_scores"."version" ASC;
SELECT "rubrics".* FROM "rubrics" WHERE ("rubrics"."id" = (SELECT "rubric_id" FROM "panels" WHERE "id" = :panel)) LIMIT 1;
INSERT INTO "panel_scores" ("id", "panel_id", "application_id", "user_id", "version", "levels", "justifications", "weighted_x100", "amendment_reason", "submitted_at")
  VALUES (gen_random_uuid(), :panel, :application, :user, :v, '{"INTEGRITY": 4,"TEAMWORK": 3}',
    '{"INTEGRITY": "The candidate gave concrete evidence for every answer.","TEAMWORK": "The candidate gave concrete evidence for every answer."}', 360, NULL, now());
INSERT INTO "audit_events" ("occurred_at", "actor_type", "actor_id", "actor_role", "actor_agency", "actor_label",
    "action", "object_type", "object_id", "agency_id", "request_id", "payload", "justification", "prev_hash", "hash")
  VALUES (now(), 'user', :user, 'panelist', NULL, NULL, 'panel.score_submitted', 'panel', :panel, NULL,
    'req-' || CAST(:v AS text), '{"application_id": "01a25177-d48b-71fe-8d88-66f54c5f7404","justifications_sha256": "0c5b6f3e2c1d4a5b6c7d8e9f00112233445566778899aabbccddeeff00112233","levels": {"INTEGRITY": 4,"TEAMWORK": 3},"reason_sha256": null,"user_id": "01a25177-d0bf-7642-8fb5-66a3a01cfdd4","version": 1,"weighted_x100": 360}',
    NULL, NULL, 'e3fd224dc85148a45730d62a3fdcdd19e4d49dd3ad3bb8aee1483b4b218f5c76');
COMMIT;
