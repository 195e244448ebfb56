"""The member app's page names every module it loads, so none waits its turn."""

import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[1] / "pwa"


def test_the_page_preloads_every_module():
    page = (PWA / "index.html").read_text()
    preloaded = set(re.findall(r'rel="modulepreload" href="/app/([^"]+)"', page))
    modules = {
        str(path.relative_to(PWA))
        for path in [*PWA.glob("js/**/*.js"), *PWA.glob("vendor/**/*.js")]
    }
    assert preloaded == modules - {"js/main.js"}
