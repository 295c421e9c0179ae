postgres_PKGS := libpq
