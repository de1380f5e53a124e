#!/usr/bin/env bash
# Make sure a headless Chromium is there for tests/test_report_browser.py (it opens the HTML
# reports). Installs it only when we are root with apt-get (a fresh CI machine, ~17 s);
# otherwise says how to install it. Never fails the build: without Chromium those tests skip.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}   # overridable for testing this script
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_browser: installing chromium (apt-get) for the report browser tests..."
    install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
    # the package lists may be missing on a fresh image: update only when the install needs it
    if { install || { apt-get update -qq && install; }; } >/tmp/ensure_browser.log 2>&1; then
        echo "ensure_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
    else
        echo "ensure_browser: apt-get could not install chromium (see /tmp/ensure_browser.log);" \
             "the browser tests will be skipped"
    fi
else
    echo "ensure_browser: $CHROMIUM not found; the report browser tests will be skipped." \
         "Install it with: sudo apt-get install -y --no-install-recommends chromium"
fi
exit 0
