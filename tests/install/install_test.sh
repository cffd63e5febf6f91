#!/usr/bin/env bash
# The installed copy of mxtune, used the two ways a program would: `cmake
# --install BUILD --prefix $TMP/prefix`, a header exported by the installed
# mxtune from a fixture database, then examples/tuned_gemm.c built out of tree
# with pkg-config and with CMake's find_package(mxtune) -> mxtune::mxtune, and
# both programs run (their GEMM results are checked by the program).
# Usage: install_test.sh BUILD_DIR   (env: MXT_SOURCE_DIR, MXT_TEST_DATA, CC)
set -u
BUILD=${1:?usage: install_test.sh BUILD_DIR}
SRC=${MXT_SOURCE_DIR:?set MXT_SOURCE_DIR to the source tree}
DATA=${MXT_TEST_DATA:-$SRC/tests/data}
CC=${CC:-cc}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*" >&2; exit 77; }
command -v pkg-config >/dev/null || skip "pkg-config not installed"

cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1 ||
    { tail -20 "$TMP/install.log" >&2; fail "cmake --install failed"; }
P=$TMP/prefix
[ -x "$P/bin/mxtune" ] || fail "no bin/mxtune installed"
[ -f "$P/include/mxtune/mxtune.h" ] || fail "no include/mxtune/mxtune.h installed"
pc=$(find "$P" -name mxtune.pc | head -1)
[ -n "$pc" ] || fail "no mxtune.pc installed"
cfg=$(find "$P" -name mxtuneConfig.cmake | head -1)
[ -n "$cfg" ] || fail "no mxtuneConfig.cmake installed"
libdir=$(dirname "$(dirname "$pc")")
ls "$libdir"/libmxtune.so* >/dev/null 2>&1 || fail "no libmxtune.so in $libdir"
[ -f "$libdir/libmxtune.a" ] || fail "no libmxtune.a in $libdir"

# The tiles, exported by the installed program from the fixture database.
"$P/bin/mxtune" db import "$DATA/export/tuned_i9.json" --db "$TMP/f.db" >/dev/null 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "the installed mxtune cannot import the fixture"; }
mkdir "$TMP/gen"
"$P/bin/mxtune" export --format header --db "$TMP/f.db" --fingerprint fixture-i9-export \
    --out "$TMP/gen/mxtune_tiles.h" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "export failed"; }

# 1. pkg-config: the flags point into the prefix, not the build's install prefix.
export PKG_CONFIG_PATH="$(dirname "$pc")"
cflags=$(pkg-config --cflags mxtune) || fail "pkg-config --cflags mxtune failed"
libs=$(pkg-config --libs mxtune) || fail "pkg-config --libs mxtune failed"
inc=$(printf '%s\n' $cflags | sed -n 's/^-I//p' | head -1)
[ -n "$inc" ] && [ "$(realpath "$inc")" = "$(realpath "$P/include")" ] ||
    fail "pkg-config --cflags is '$cflags', not into $P/include"
# shellcheck disable=SC2086 # the flags are words
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic -I"$TMP/gen" "$SRC/examples/tuned_gemm.c" \
    $cflags $libs -lm -o "$TMP/pc_prog" 2>"$TMP/cc.err" ||
    { cat "$TMP/cc.err" >&2; fail "building against pkg-config mxtune failed"; }
LD_LIBRARY_PATH="$libdir" "$TMP/pc_prog" >"$TMP/pc.out" 2>&1 ||
    { cat "$TMP/pc.out" >&2; fail "the pkg-config program failed"; }
grep -q "^tuned  : .*: ok$" "$TMP/pc.out" || { cat "$TMP/pc.out" >&2; fail "pkg-config program: no checked tuned run"; }
# It ran the installed library, not the build tree's.
LD_DEBUG=libs LD_LIBRARY_PATH="$libdir" "$TMP/pc_prog" 2>&1 >/dev/null | grep -q "$libdir/libmxtune.so" ||
    fail "the pkg-config program did not load $libdir/libmxtune.so"

# 2. CMake: find_package(mxtune) -> mxtune::mxtune, with examples/CMakeLists.txt.
cmake -S "$SRC/examples" -B "$TMP/cm" -DCMAKE_PREFIX_PATH="$P" -DMXTUNE_TILES_DIR="$TMP/gen" \
    -DCMAKE_C_COMPILER="$CC" >"$TMP/cm.log" 2>&1 || { tail -20 "$TMP/cm.log" >&2; fail "configuring with find_package(mxtune) failed"; }
grep -q "mxtune_DIR.*$P" "$TMP/cm/CMakeCache.txt" || fail "find_package did not find the installed copy"
cmake --build "$TMP/cm" >"$TMP/cmb.log" 2>&1 || { tail -20 "$TMP/cmb.log" >&2; fail "building with mxtune::mxtune failed"; }
"$TMP/cm/tuned_gemm" >"$TMP/cm.out" 2>&1 || { cat "$TMP/cm.out" >&2; fail "the CMake program failed"; }
grep -q "^default: 200 x 150 x 100 .*: ok$" "$TMP/cm.out" || { cat "$TMP/cm.out" >&2; fail "CMake program: no checked default run"; }
echo "ok: installed into $P; pkg-config and find_package programs built and ran"
