"""Every label of SPEC ("Labels and demo data") is marked for translation, so that babel's
extraction (as `pybabel extract -F babel.cfg -k _l` runs it) hands it to translators; and no
template writes one of those labels as bare English text."""
import os
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}

SHOPPER_LABELS = [
    "Buy Now", "Shop", "Home", "Add to cart", "Cart", "Checkout", "Place order",
    "Log in to Facebook", "Log in", "Log out", "Not you?", "Messenger", "Purchase history",
    "Contact seller", "Send", "Order update settings", "Turn off order updates",
    "Keep receiving updates", "Search products", "View",
]
ADMIN_LABELS = [
    "Sign in", "Sign out", "Orders", "Products", "Channels", "Messenger customizations", "Inbox",
    "Inquiries", "Fulfill", "Mark as out for delivery", "Mark as delivered", "More actions",
    "View order status page", "Turn off", "Add Messenger channel", "Remove Messenger channel",
    "Save", "Reset to default", "Reply", "Saved replies", "Retry",
]
CHECKBOX_LABELS = ["Send order updates to Messenger"]
FIELD_LABELS = [
    "Email", "First name", "Last name", "Address", "City", "State / region", "Postal code",
    "Country", "Card number", "Discount code", "Password", "Carrier", "Tracking number", "Message",
]
LABELS = SHOPPER_LABELS + ADMIN_LABELS + CHECKBOX_LABELS + FIELD_LABELS


def _method_map():
    """babel.cfg's sections, read the way pybabel reads them."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as file:
        return parse_mapping_cfg(file)


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    """msgid -> the files it was found in."""
    method_map, options_map = _method_map()
    found: dict[str, list[str]] = {}
    for directory in ("pageshop", "storefront", "admin", "templates"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
                os.path.join(ROOT, directory), method_map=_relative(method_map, directory),
                options_map=_relative_options(options_map, directory), keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, []).append(f"{directory}/{filename}")
    return found


def _relative(method_map, directory):
    """babel.cfg's patterns are relative to the project root; extract_from_dir walks one folder."""
    prefix = directory + "/"
    return [(pattern[len(prefix):], method) for pattern, method in method_map
            if pattern.startswith(prefix)]


def _relative_options(options_map, directory):
    prefix = directory + "/"
    return {pattern[len(prefix):]: options for pattern, options in options_map.items()
            if pattern.startswith(prefix)}


def test_babel_cfg_covers_the_code_and_the_templates():
    method_map, options_map = _method_map()
    patterns = dict(method_map)
    assert patterns["pageshop/**.py"] == "python"
    assert patterns["storefront/**.py"] == "python"
    assert patterns["admin/**.py"] == "python"
    assert patterns["templates/**.html"] == "jinja2"
    assert "jinja2.ext.i18n" in options_map["templates/**.html"]["extensions"]


def test_extraction_finds_plenty_of_messages(extracted):
    assert len(extracted) > 200
    where = {path.split("/")[0] for paths in extracted.values() for path in paths}
    assert where == {"pageshop", "storefront", "admin", "templates"}


@pytest.mark.parametrize("label", LABELS)
def test_spec_label_is_extracted_for_translation(extracted, label):
    assert label in extracted, f"{label!r} is not marked for translation anywhere"


_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_TEXT = re.compile(r">([^<>]+)<")
_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt|value)="([^"{}]*)"')


def _bare_texts(source: str) -> list[str]:
    """Text nodes and labelling attributes of a template, with every Jinja construct removed."""
    plain = _JINJA.sub("\x00", source)
    texts = [t.strip() for t in _TEXT.findall(plain)]
    texts += [t.strip() for t in _ATTRIBUTE.findall(plain)]
    return [t for t in texts if t and "\x00" not in t]


def test_the_bare_text_scan_sees_text_outside_translation_calls():
    source = ('<button>Buy Now</button> <a href="{{ url_for("x") }}">{{ _("Shop") }}</a>'
              '{% trans %}Cart{% endtrans %} <input value="Save"> <span aria-label="{{ _("Home") }}">')
    assert _bare_texts(source) == ["Buy Now", "Save"]


def test_no_template_writes_a_spec_label_as_bare_english():
    labels = set(LABELS)
    offenders = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "templates")):
        for name in files:
            if not name.endswith(".html"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as file:
                for text in _bare_texts(file.read()):
                    if text in labels:
                        offenders.append(f"{os.path.relpath(path, ROOT)}: {text!r}")
    assert not offenders, "labels outside _() or {% trans %}:\n" + "\n".join(offenders)


def test_the_german_catalog_is_ready_for_translators():
    path = os.path.join(ROOT, "translations", "de", "LC_MESSAGES", "messages.po")
    with open(path, "rb") as file:
        catalog = read_po(file, locale="de")
    assert str(catalog.locale) == "de"
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert {"Buy Now", "Add to cart", "Send order updates to Messenger", "Fulfill"} <= ids


def test_a_compiled_catalog_changes_what_the_app_says(tmp_path):
    """The plumbing works end to end: a compiled German catalog in the translation folder is
    used when German is the locale, and English stays the default."""
    from flask_babel import force_locale, gettext

    from pageshop import create_app

    catalog = Catalog(locale="de")
    catalog.add("Add to cart", "In den Warenkorb")
    folder = tmp_path / "translations" / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as file:
        write_mo(file, catalog)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path / "translations")})
    from pageshop.extensions import babel

    with app.test_request_context():
        babel.domain_instance.cache.clear()  # Flask-Babel keeps one catalog per language per process
        try:
            with force_locale("de"):
                assert gettext("Add to cart") == "In den Warenkorb"
            assert gettext("Add to cart") == "Add to cart"
        finally:
            babel.domain_instance.cache.clear()  # this one-message catalog is no other test's


def test_the_app_reads_catalogs_from_the_translations_folder():
    """translations/ sits beside the packages, not inside pageshop/ (Flask-Babel's default)."""
    from pageshop import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    directories = [os.path.realpath(d) for d in app.extensions["babel"].translation_directories]
    assert os.path.join(ROOT, "translations") in directories, (
        "set BABEL_TRANSLATION_DIRECTORIES to the project's translations/ folder in the config")


# --- the catalog is complete (issue 14) ---------------------------------------------------------

PO_PATH = os.path.join(ROOT, "translations", "de", "LC_MESSAGES", "messages.po")


@pytest.fixture(scope="module")
def extracted_keys() -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> where one was found, extracted in memory as `make messages` does."""
    method_map, options_map = _method_map()
    found: dict[tuple[str | None, str], str] = {}
    for directory in ("pageshop", "storefront", "admin", "templates"):
        for filename, lineno, message, _comments, context in extract_from_dir(
                os.path.join(ROOT, directory), method_map=_relative(method_map, directory),
                options_map=_relative_options(options_map, directory), keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault((context, msgid), f"{directory}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def german():
    with open(PO_PATH, "rb") as file:
        return read_po(file, locale="de")


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings) and len(strings) == (2 if message.pluralizable else 1)


def test_the_german_catalog_has_every_message_the_code_and_templates_use(extracted_keys, german):
    missing = [f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")
               for (context, msgid), where in sorted(extracted_keys.items(), key=lambda item: item[1])
               if german.get(msgid, context=context) is None]
    assert not missing, f"{len(missing)} msgids not in messages.po (append them at its end):\n" + "\n".join(missing)


def test_the_german_catalog_has_no_untranslated_or_fuzzy_message(german):
    untranslated = [repr(m.id) for m in german if m.id and not _translated(m)]
    fuzzy = [repr(m.id) for m in german if m.id and m.fuzzy]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_german_translations_keep_the_placeholders(german):
    """A translation with a placeholder missing or misspelt fails (or loses the value) at runtime."""
    from babel.messages.checkers import python_format

    broken = []
    for message in german:
        if not message.id or not message.python_format:
            continue
        try:
            python_format(german, message)
        except Exception as exc:  # babel's TranslationError
            broken.append(f"{message.id!r}: {exc}")
    assert not broken, "\n".join(broken)


# --- no template holds text that is not marked for translation ---------------------------------

# Text a template may write as it is, and why.
UNTRANSLATED_ALLOWED = {
    "Pageshop": "the product's name",
    "htmx": "a library's name",
    "Messenger": "Meta's product name, the same in German",
    "Facebook": "Meta's product name",
    "Aa": "Messenger's composer placeholder, the same in every language",
    "facebook": "Facebook's wordmark in the page's header: a logo, not a word",
}
_TAG = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^<>]*>", re.S)
_LABELLING_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"\x00]*)"')
_ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_LETTER = re.compile(r"[^\W\d_]")
_PUNCTUATION = re.compile(r"[^\w\s]")


def _template_texts(env, source: str, html: bool) -> list[str]:
    """The template's own text (outside tags, or in a labelling attribute) that has a letter in it:
    what a person reads and a translator never saw. Jinja's parser gives the template data; every
    expression, tag and {% trans %} block becomes a separator."""
    from jinja2 import nodes

    tree = env.parse(source)
    # A block that fills an attribute (`{% block body_class %}admin{% endblock %}`) is no text.
    attribute_blocks = {id(output) for block in tree.find_all(nodes.Block) if block.name.endswith("_class")
                        for output in block.find_all(nodes.Output)}
    parts = []
    for output in tree.find_all(nodes.Output):
        if id(output) in attribute_blocks:
            continue
        for node in output.nodes:
            parts.append(node.data if isinstance(node, nodes.TemplateData) else "\x00")
        parts.append("\x00")
    data = "".join(parts)
    texts = []
    if html:
        for tag in _TAG.finditer(data):
            texts += _LABELLING_ATTRIBUTE.findall(tag.group(0))
        data = _TAG.sub("\x00", data)
    texts += _ENTITY.sub(" ", data).split("\x00")
    texts = [" ".join(_ENTITY.sub(" ", text).split()) for text in texts]
    return [text for text in texts
            if _LETTER.search(text) and _PUNCTUATION.sub("", text).strip() not in UNTRANSLATED_ALLOWED]


def test_the_template_text_scan_finds_bare_text():
    from pageshop import create_app

    env = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).jinja_env
    source = ('<p class="x">Your order</p> <a href="{{ url }}" title="Open it">{{ _("Shop") }}</a> · '
              '{% trans %}Cart{% endtrans %} <b>{{ n }} items</b> &nbsp;&mdash; <span>Pageshop</span>'
              '<script>var a = "b";</script>')
    assert _template_texts(env, source, html=True) == ["Open it", "Your order", "items"]


def test_no_template_holds_text_not_marked_for_translation():
    from pageshop import create_app

    env = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).jinja_env
    offenders = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "templates")):
        for name in sorted(files):
            if not name.endswith((".html", ".txt")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as file:
                texts = _template_texts(env, file.read(), html=name.endswith(".html"))
            offenders += [f"{os.path.relpath(path, ROOT)}: {text!r}" for text in texts]
    assert not offenders, "text outside _() or {% trans %}:\n" + "\n".join(offenders)
