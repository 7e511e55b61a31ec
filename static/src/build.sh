#!/bin/sh
# Builds the committed stylesheets from scss/ (GOV.UK Frontend with our brand):
#   ../css/site.css       every page (scss/main.scss, then PurgeCSS: see purgecss.config.cjs)
#   ../css/organiser.css  organiser pages only (scss/organiser.scss)
# Needs Node and npm only to change the styles: `make run` serves the committed CSS.
#   static/src/build.sh
set -eu
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
mkdir -p build
# --quiet-deps and the silenced deprecations: GOV.UK Frontend 5 still uses Sass's @import,
# global functions and slash division, which Sass warns about; they are GOV.UK's to change.
npx sass --style=compressed --no-source-map --load-path=node_modules --quiet-deps \
  --silence-deprecation=import,global-builtin,slash-div \
  scss/main.scss:build/site.css scss/organiser.scss:../css/organiser.css
npx purgecss --config purgecss.config.cjs --css build/site.css --output ../css/
wc -c build/site.css ../css/site.css ../css/organiser.css
