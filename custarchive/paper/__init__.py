"""The paper archive (双轨制): the printed customer card and the archive catalogue cover."""
