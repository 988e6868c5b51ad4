-- The SQL statements of one inclusion proof (GET /api/v1/audit/proofs/inclusion), as pgbench
-- runs them for bench/audit.sh (-M prepared, -D size=<tree size>): the tree size, the event with its
-- leaf, and the stored nodes of the audit path in the server's query form. The path here is the 20
-- sibling nodes (i >> l) xor 1 of levels 0-19; the server also loads the few complete subtrees
-- that make up the root and uses the exact path of trees that are not a power of two, so this
-- floor does slightly less work than the server.
\set i random(0, :size - 1)
\set s0 (:i >> 0) # 1
\set s1 (:i >> 1) # 1
\set s2 (:i >> 2) # 1
\set s3 (:i >> 3) # 1
\set s4 (:i >> 4) # 1
\set s5 (:i >> 5) # 1
\set s6 (:i >> 6) # 1
\set s7 (:i >> 7) # 1
\set s8 (:i >> 8) # 1
\set s9 (:i >> 9) # 1
\set s10 (:i >> 10) # 1
\set s11 (:i >> 11) # 1
\set s12 (:i >> 12) # 1
\set s13 (:i >> 13) # 1
\set s14 (:i >> 14) # 1
\set s15 (:i >> 15) # 1
\set s16 (:i >> 16) # 1
\set s17 (:i >> 17) # 1
\set s18 (:i >> 18) # 1
\set s19 (:i >> 19) # 1
SELECT max("audit_tree_nodes"."idx") FROM "audit_tree_nodes" WHERE ("audit_tree_nodes"."level" = 0) LIMIT 1;
SELECT "audit_tree_nodes"."idx", "audit_events"."id", "audit_events"."occurred_at", "audit_events"."actor_type", "audit_events"."actor_id", "audit_events"."actor_role", "audit_events"."actor_agency", "audit_events"."actor_label", "audit_events"."action", "audit_events"."object_type", "audit_events"."object_id", "audit_events"."agency_id", "audit_events"."request_id", "audit_events"."payload", "audit_events"."justification", "audit_events"."prev_hash", "audit_events"."hash" FROM ("audit_tree_nodes" INNER JOIN "audit_events" ON ("audit_tree_nodes"."event_id" = "audit_events"."id")) WHERE (("audit_tree_nodes"."level" = 0) AND ("audit_tree_nodes"."idx" = :i)) LIMIT 1;
SELECT "audit_tree_nodes"."level", "audit_tree_nodes"."idx", "audit_tree_nodes"."hash" FROM "audit_tree_nodes" WHERE (("audit_tree_nodes"."level" = 0) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s0]::bigint[]))) OR (("audit_tree_nodes"."level" = 1) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s1]::bigint[]))) OR (("audit_tree_nodes"."level" = 2) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s2]::bigint[]))) OR (("audit_tree_nodes"."level" = 3) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s3]::bigint[]))) OR (("audit_tree_nodes"."level" = 4) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s4]::bigint[]))) OR (("audit_tree_nodes"."level" = 5) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s5]::bigint[]))) OR (("audit_tree_nodes"."level" = 6) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s6]::bigint[]))) OR (("audit_tree_nodes"."level" = 7) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s7]::bigint[]))) OR (("audit_tree_nodes"."level" = 8) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s8]::bigint[]))) OR (("audit_tree_nodes"."level" = 9) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s9]::bigint[]))) OR (("audit_tree_nodes"."level" = 10) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s10]::bigint[]))) OR (("audit_tree_nodes"."level" = 11) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s11]::bigint[]))) OR (("audit_tree_nodes"."level" = 12) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s12]::bigint[]))) OR (("audit_tree_nodes"."level" = 13) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s13]::bigint[]))) OR (("audit_tree_nodes"."level" = 14) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s14]::bigint[]))) OR (("audit_tree_nodes"."level" = 15) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s15]::bigint[]))) OR (("audit_tree_nodes"."level" = 16) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s16]::bigint[]))) OR (("audit_tree_nodes"."level" = 17) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s17]::bigint[]))) OR (("audit_tree_nodes"."level" = 18) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s18]::bigint[]))) OR (("audit_tree_nodes"."level" = 19) AND ("audit_tree_nodes"."idx" = ANY(ARRAY[:s19]::bigint[])));
