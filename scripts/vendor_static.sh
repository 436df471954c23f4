#!/usr/bin/env bash
# The tableau's font, vendored from npm at a pinned version and checked against its hash: the page
# asks nothing of another site (DESIGN §11). Run it to refresh bots/web/static/fonts/ by hand.
set -euo pipefail
PACKAGE="@fontsource/inter"
VERSION="5.2.8"
SHA256="7004eee208371e46125e999c67b094ba47f3606b1983331c6f8e77b39a2f825c"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "$PACKAGE@$VERSION" >/dev/null
TARBALL="fontsource-inter-$VERSION.tgz"
echo "$SHA256  $TARBALL" | sha256sum --check --quiet
tar xzf "$TARBALL"
DEST="$ROOT/bots/web/static/fonts"
mkdir -p "$DEST"
cp package/files/inter-latin-400-normal.woff2 package/files/inter-latin-700-normal.woff2 "$DEST/"
cp package/LICENSE "$DEST/OFL-Inter.txt"
echo "vendored $PACKAGE@$VERSION into $DEST"
