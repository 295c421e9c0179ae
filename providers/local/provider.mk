# The local provider reads compressed files and archives with libarchive.
# Character set conversion uses iconv, which is part of glibc: no library to
# add for it.
local_PKGS := libarchive
