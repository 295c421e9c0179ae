local_PKGS := libarchive
