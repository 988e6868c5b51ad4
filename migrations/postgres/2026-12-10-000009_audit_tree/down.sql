DROP TABLE audit_tree_nodes;
