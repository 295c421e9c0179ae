sqlite_PKGS := sqlite3
