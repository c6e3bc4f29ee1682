"""Search that forgives and scales (issue 11 item 8, issue 12): accents and case are folded on both
databases, in the Shop tab, Messenger and the admin; the index follows every edit at once; a query
goes through the index, not a scan of every row."""
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from pageshop import catalog, create_app, listing, search
from pageshop.extensions import db
from pageshop.models import Product
from pageshop.orders import search_orders
from pageshop.search import fold, query_words


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def signed_in(auth, store):
    auth.sign_in()
    return store


def test_fold_removes_accents_case_and_extra_spaces():
    assert fold("  Macramé   WALL Hanging ") == "macrame wall hanging"
    assert fold("Müller Straße Ærø") == "muller strasse ærø"
    assert query_words("Wool  wool WOOL scarf") == ["wool", "scarf"]


@pytest.mark.parametrize("query", ["macrame", "MACRAME", "Macramé", "macramé wall", "wall macrame",
                                   "crame"])
def test_shop_search_folds_accents_and_case(client, store, make_product, query):
    make_product(title="Macramé Wall Hanging")
    make_product(title="Wool Wall Blanket")
    page = html(client.get("/shop", query_string={"q": query}))
    assert "Macramé Wall Hanging" in page
    assert "Wool Wall Blanket" not in page


def test_accented_query_finds_a_plain_title(client, store, make_product):
    make_product(title="Cafe Mug")
    assert "Cafe Mug" in html(client.get("/shop", query_string={"q": "Café"}))


def test_short_words_and_symbols_are_found_too(client, store, make_product):
    make_product(title="XL Wool Tee")
    make_product(title="100% Cotton Tee")
    make_product(title="Plain Tee")
    assert "XL Wool Tee" in html(client.get("/shop?q=xl"))
    assert "Plain Tee" not in html(client.get("/shop?q=xl"))
    page = html(client.get("/shop?q=%25"))
    assert "100% Cotton Tee" in page and "Plain Tee" not in page
    # Quotes and operators are letters to look for, never search syntax.
    for query in ('"plain', 'plain" OR "tee', "plain*", "NEAR(plain tee)", "tee AND -plain"):
        response = client.get("/shop", query_string={"q": query})
        assert response.status_code == 200 and "No products found." in html(response)


def test_messenger_search_folds_accents(client, auth, store, make_product):
    make_product(title="Macramé Wall Hanging")
    auth.facebook_login()
    client.post_form("/messenger/menu", {"choice": "search_products"})
    client.post_form("/messenger/messages", {"text": "macrame"})
    page = html(client.get("/messenger"))
    assert "found for “macrame”" in page
    assert "Macramé Wall Hanging" in page


def test_a_title_change_is_found_at_once(client, signed_in, make_product):
    product = make_product(title="Linen Apron")
    assert "Linen Apron" in html(client.get("/shop?q=apron"))
    variant = product.variants[0]
    response = client.post_form(f"/admin/products/{product.id}", {
        "title": "Crème Tablecloth", "handle": product.handle, "published_facebook": "y",
        "variants-0-id": str(variant.id), "variants-0-title": "Default", "variants-0-price": "25",
        "variants-0-stock": "3"})
    assert response.status_code == 303
    assert "Crème Tablecloth" in html(client.get("/shop?q=creme"))
    assert "No products found." in html(client.get("/shop?q=apron"))
    assert "Crème Tablecloth" in html(client.get("/admin/products?q=CREME"))


def test_a_deleted_or_unpublished_product_is_not_found(client, signed_in, make_product):
    gone = make_product(title="Gone Scarf")
    hidden = make_product(title="Hidden Scarf")
    kept = make_product(title="Kept Scarf")
    client.post_form(f"/admin/products/{gone.id}/delete")
    hidden.published_facebook = False
    db.session.commit()
    assert [p.title for p in catalog.shop_products("facebook", q="scarf").items] == ["Kept Scarf"]
    assert [p.id for p in catalog.search_facebook_products("scarf")] == [kept.id]


def test_admin_order_search_folds_names_and_finds_numbers(client, signed_in, make_order):
    muller = make_order(first_name="Jürgen", last_name="Müller", email="J.Muller@Example.com")
    make_order(first_name="Sam", last_name="Chen", email="sam@example.org")
    for query in ("muller", "MÜLLER", "jurgen", "j.muller@example.com", "muller@EXAMPLE", "@example.com",
                  muller.name, str(muller.number)):
        found = search_orders(query).items
        assert [order.id for order in found] == [muller.id], query
    page = html(client.get("/admin/orders?q=muller"))
    assert muller.name in page and "Sam Chen" not in page
    assert search_orders("nobody").items == []
    assert search_orders("#99999999999").items == []


def test_an_order_edit_is_found_at_once(app, store, make_order):
    order = make_order(first_name="Alex", last_name="Rivera")
    order.last_name = "Ríos"
    db.session.commit()
    assert [o.id for o in search_orders("rios").items] == [order.id]
    assert search_orders("rivera").items == []


def test_search_goes_through_the_index(app, store, make_product):
    make_product(title="Macramé Wall Hanging")
    statement = search.newest_matches(Product.__table__, ["macrame"])
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        steps = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
        assert any("SCAN products_search VIRTUAL TABLE INDEX" in step for step in steps), steps
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
        assert "ix_products_search_text" in plan
    assert db.session.scalars(statement).all()


def test_the_migrations_build_an_index_that_follows_edits(tmp_path):
    """The revision's FTS5 table and triggers (SQLite), not db.create_all's."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    with app.app_context():
        upgrade()
        product = Product(handle="wall", title="Macramé Wall Hanging")
        db.session.add(product)
        db.session.commit()
        assert [p.id for p in catalog.shop_products("facebook", q="macrame").items] == [product.id]
        product.title = "Woven Rug"
        db.session.commit()
        assert catalog.shop_products("facebook", q="macrame").items == []
        assert [p.id for p in catalog.shop_products("facebook", q="rug").items] == [product.id]
        db.session.delete(product)
        db.session.commit()
        assert catalog.shop_products("facebook", q="rug").items == []
        db.session.remove()
        db.engine.dispose()


def test_a_search_lists_its_newest_matches_and_says_there_are_more(client, store, make_product,
                                                                    monkeypatch):
    monkeypatch.setattr(search, "MATCH_LIMIT", 3)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    for n in range(6):
        make_product(title=f"Mug {n}")
    page = html(client.get("/shop?q=mug"))
    assert 'More than 3 products match "mug"' in page
    assert "Mug 5" in page and "Mug 2" in page and "Mug 1" not in page  # the newest four
    assert "Add another word" in page
