"""The JCM credit registry on the database: commands (service), reads (queries), monitoring
reports (reports), the audit replay (verify) and the statements they share (store)."""
