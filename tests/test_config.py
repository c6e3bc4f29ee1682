"""Settings in one place (issue 13.5): only pageshop/config.py reads the environment, and the
README's configuration tables name exactly the variables it reads."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ["pageshop", "admin", "storefront", "wsgi.py"]


def python_files():
    for place in CODE:
        path = ROOT / place
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def test_only_config_reads_the_environment():
    readers = [str(path.relative_to(ROOT)) for path in python_files()
               if re.search(r"os\.environ|os\.getenv", path.read_text())]
    assert readers == ["pageshop/config.py"]


def test_readme_lists_every_setting_config_reads():
    config = (ROOT / "pageshop/config.py").read_text()
    read = set(re.findall(r'(?:_text|_int|_float|_bool|os\.environ\.get)\(\s*"([A-Z_0-9]+)"', config))
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", " ".join(row.split("|")[1] for row in rows)))
    # MESSENGER_UTILITY_TEMPLATE_* stands for its five in the first table; the second lists them.
    assert read - listed == set()
    assert listed - read <= {"MESSENGER_UTILITY_TEMPLATE_", "FLASK_APP"}
