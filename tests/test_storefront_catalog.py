"""S1-S3: the Page, its Shop tab, the online store's catalog, product pages."""
import re

from sqlalchemy import event

from pageshop import catalog, listing, search
from pageshop.extensions import db
from pageshop.models import Product, Store


def _set_store(**values):
    store = db.session.scalars(db.select(Store)).one()
    for name, value in values.items():
        setattr(store, name, value)
    db.session.commit()


def _results_only(html: str) -> bool:
    return 'id="shop-results"' in html and "<html" not in html


# --- S1 the Page --------------------------------------------------------------------


def test_page_shows_home_and_shop_tabs_and_buy_now(client, store, make_product):
    make_product(title="Linen Shirt")
    html = client.get("/").get_data(as_text=True)
    assert ">Home</a>" in html
    assert ">Shop</a>" in html
    assert ">Buy Now</a>" in html
    assert "Linen Shirt" in html  # a featured product


def test_shop_tab_hidden_and_shop_closed_until_approved(client, store, make_product):
    make_product(title="Linen Shirt")
    _set_store(review_state="submitted")
    html = client.get("/").get_data(as_text=True)
    assert ">Home</a>" in html
    assert ">Shop</a>" not in html
    response = client.get("/shop")
    assert response.status_code == 404
    assert "isn&#39;t open yet" in response.get_data(as_text=True)
    assert client.get("/collections/anything").status_code == 404


def test_buy_now_opens_the_shop_tab(client, store):
    response = client.get("/buy-now")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/shop")


def test_buy_now_opens_the_online_store_when_set_so(client, store):
    _set_store(buy_now_destination="online_store")
    response = client.get("/buy-now")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/store")


def test_buy_now_opens_the_online_store_while_the_shop_is_not_approved(client, store):
    _set_store(review_state="submitted")
    response = client.get("/buy-now")
    assert response.headers["Location"].endswith("/store")


# --- S2 the Shop tab ------------------------------------------------------------------


def test_shop_lists_only_products_published_to_facebook(client, store, make_product):
    make_product(title="Facebook Mug")
    make_product(title="Store Only Mug", facebook=False)
    make_product(title="Hidden Mug", facebook=False, online_store=False)
    html = client.get("/shop").get_data(as_text=True)
    assert "Facebook Mug" in html
    assert "Store Only Mug" not in html
    assert "Hidden Mug" not in html


def test_online_store_lists_only_products_published_there(client, store, make_product):
    make_product(title="Facebook Only Mug", online_store=False)
    make_product(title="Store Mug", facebook=False)
    html = client.get("/store").get_data(as_text=True)
    assert "Store Mug" in html
    assert "Facebook Only Mug" not in html
    assert "store-bar" in html  # the online store's own layout


def test_shop_shows_price_sold_out_and_placeholder(client, store, make_product):
    make_product(title="Scarf", variants=[("Red", 3000, 0), ("Blue", 2500, 0)])
    make_product(title="Cap", price_cents=1999, stock=4)
    html = client.get("/shop").get_data(as_text=True)
    scarf = html[html.index("Scarf"):html.index("</article>", html.index("Scarf"))]
    assert "From $25.00" in scarf
    assert "Sold out" in scarf
    cap = html[html.index("Cap</a>"):html.index("</article>", html.index("Cap</a>"))]
    assert "$19.99" in cap and "Sold out" not in cap
    assert "product-placeholder" in html


def test_product_image_is_served_from_uploads(app, client, store, make_product):
    import os
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with open(os.path.join(app.config["UPLOAD_FOLDER"], "mug.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\nfake")
    product = make_product(title="Mug")
    product.image_filename = "mug.png"
    db.session.commit()
    html = client.get("/shop").get_data(as_text=True)
    assert 'src="/images/card/240/mug.png"' in html  # the card's size (a file Pillow can't read: as it is)
    for url in ("/images/mug.png", "/images/card/240/mug.png"):
        with client.get(url) as response:
            assert response.data.startswith(b"\x89PNG")
    assert client.get("/images/missing.png").status_code == 404
    assert client.get("/images/../secret").status_code == 404


def test_collections_filter_the_shop(client, store, make_product):
    make_product(title="Wool Hat", collection="Winter")
    make_product(title="Sun Hat", collection="Summer")
    make_product(title="Unlisted Hat", collection="Hidden", facebook=False)
    html = client.get("/shop").get_data(as_text=True)
    assert ">Winter</a>" in html and ">Summer</a>" in html
    assert ">Hidden</a>" not in html  # no product of it is on Facebook

    html = client.get("/collections/winter").get_data(as_text=True)
    assert "Wool Hat" in html and "Sun Hat" not in html
    html = client.get("/shop?collection=summer").get_data(as_text=True)
    assert "Sun Hat" in html and "Wool Hat" not in html

    assert client.get("/collections/no-such-thing").status_code == 404
    assert client.get("/shop?collection=no-such-thing").status_code == 404


def test_search_narrows_the_results(client, store, make_product):
    make_product(title="Linen Shirt")
    make_product(title="Wool Sweater")
    html = client.get("/shop?q=linen").get_data(as_text=True)
    assert "<html" in html  # a plain GET renders the whole page
    assert "Linen Shirt" in html and "Wool Sweater" not in html
    assert 'value="linen"' in html


def test_search_with_htmx_returns_only_the_results(client, store, make_product):
    make_product(title="Linen Shirt")
    make_product(title="Wool Sweater")
    response = client.htmx("get", "/shop?q=SHIRT", target="shop-results")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _results_only(html)
    assert "Linen Shirt" in html and "Wool Sweater" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_search_treats_wildcards_as_letters(client, store, make_product):
    make_product(title="100% Cotton Tee")
    make_product(title="Plain Tee")
    html = client.get("/shop?q=%25").get_data(as_text=True)
    assert "100% Cotton Tee" in html and "Plain Tee" not in html


def test_pagination_keeps_search_and_collection(client, store, make_product):
    for n in range(30):
        make_product(title=f"Tee {n:02d}", collection="Tees")
    make_product(title="Other Tee")
    html = client.get("/shop?collection=tees&q=tee").get_data(as_text=True)
    assert "Tee 00" in html and "Tee 23" in html and "Tee 24" not in html
    assert "Previous</a>" not in html
    next_href = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "collection=tees" in next_href and "q=tee" in next_href and "after=" in next_href

    html = client.get(next_href).get_data(as_text=True)
    assert "Tee 24" in html and "Tee 29" in html and "Tee 00" not in html
    assert "Other Tee" not in html
    assert "Next</a>" not in html
    previous_href = re.search(r'href="([^"]+)" rel="prev"', html).group(1).replace("&amp;", "&")
    assert "collection=tees" in previous_href and "q=tee" in previous_href

    html = client.get(previous_href).get_data(as_text=True)
    assert "Tee 00" in html and "Tee 23" in html and "Tee 24" not in html


def test_last_page_and_back_to_the_first(client, store, make_product):
    for n in range(50):
        make_product(title=f"Mug {n:02d}")
    html = client.get("/shop").get_data(as_text=True)
    assert "50 products" in html
    last_href = re.search(r'href="([^"]+)" rel="last"', html).group(1).replace("&amp;", "&")
    html = client.get(last_href).get_data(as_text=True)
    assert "Mug 26" in html and "Mug 49" in html and "Mug 25" not in html
    assert 'rel="next"' not in html and 'rel="last"' not in html
    previous_href = re.search(r'href="([^"]+)" rel="prev"', html).group(1).replace("&amp;", "&")
    html = client.get(previous_href).get_data(as_text=True)
    assert "Mug 02" in html and "Mug 25" in html and "Mug 01" not in html and "Mug 26" not in html
    first_href = re.search(r'href="([^"]+)" rel="first"', html).group(1).replace("&amp;", "&")
    html = client.get(first_href).get_data(as_text=True)
    assert "Mug 00" in html and "Mug 23" in html and 'rel="prev"' not in html


def test_bad_page_numbers_do_not_fail(client, store, make_product):
    make_product(title="Only Tee")
    for query in ("?page=abc", "?page=-3", "?page=999", "?page=0", "?after=abc", "?before=-3",
                  "?after=999999999", "?before=99999999999999", "?after=0"):
        response = client.get("/shop" + query)
        assert response.status_code == 200
        assert "Only Tee" in response.get_data(as_text=True)


def test_listing_queries_do_not_grow_with_products(app, client, store, make_product):
    for n in range(30):
        make_product(title=f"Tee {n:02d}", variants=[("S", 1000, 1), ("M", 1100, 0)], collection="Tees")
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/shop").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 8  # store, count, page, variants, collections...: no N+1


# --- catalog functions -------------------------------------------------------------------


def test_shop_products_pages_follow_each_other(app, store, make_product):
    mugs = [make_product(title=f"Mug {n}") for n in range(5)]
    first = catalog.shop_products("facebook", per_page=2)
    assert [p.title for p in first.items] == ["Mug 0", "Mug 1"]
    assert first.total == 5 and not first.has_previous and first.has_next
    second = catalog.shop_products("facebook", after=first.last_id, per_page=2)
    assert [p.title for p in second.items] == ["Mug 2", "Mug 3"]
    assert second.has_previous and second.has_next
    last = catalog.shop_products("facebook", last=True, per_page=2)
    assert [p.title for p in last.items] == ["Mug 3", "Mug 4"]
    assert last.has_previous and not last.has_next
    back = catalog.shop_products("facebook", before=mugs[2].id, per_page=2)
    assert [p.title for p in back.items] == ["Mug 0", "Mug 1"]
    assert not back.has_previous and back.has_next


def test_listings_count_up_to_a_limit(client, store, make_product, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    monkeypatch.setattr(search, "MATCH_LIMIT", 3)
    for n in range(5):
        make_product(title=f"Mug {n}")
    assert catalog.shop_products("facebook").more_than_counted
    assert listing.count_up_to(db.select(Product.id)) == 4
    assert "More than 3 products" in client.get("/shop").get_data(as_text=True)
    assert 'More than 3 products match "mug"' in client.get("/shop?q=mug").get_data(as_text=True)
    assert '2 products match "mug 1"' not in client.get("/shop?q=mug+1").get_data(as_text=True)


def test_search_products_for_messenger(app, store, make_product):
    make_product(title="Mug Sold Out", stock=0)
    make_product(title="Mug In Stock", stock=3)
    make_product(title="Mug Store Only", facebook=False)
    make_product(title="Plate")
    found = catalog.search_facebook_products("mug")
    assert [p.title for p in found] == ["Mug In Stock", "Mug Sold Out"]
    assert catalog.search_facebook_products("   ") == []


# --- S3 product page ------------------------------------------------------------------


def test_product_page_shows_variants_price_and_buttons(client, store, make_product):
    product = make_product(title="Linen Shirt", variants=[("S / White", 3000, 5), ("M / Blue", 3500, 10)])
    html = client.get(f"/products/{product.handle}").get_data(as_text=True)
    assert "<h1>Linen Shirt</h1>" in html
    assert "S / White" in html and "M / Blue" in html
    assert "$30.00" in html
    assert ">Buy Now</button>" in html
    assert ">Add to cart</button>" in html


def test_choosing_a_variant_with_htmx_returns_only_the_offer(client, store, make_product):
    product = make_product(title="Linen Shirt", variants=[("S", 3000, 5), ("M", 3500, 0)])
    small, medium = product.variants
    response = client.htmx("get", f"/products/{product.handle}?variant={medium.id}", target="offer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="offer"' in html
    assert "$35.00" in html and "Sold out" in html
    assert html.count("disabled") >= 2  # both buttons
    assert "HX-Request" in response.headers["Vary"]

    # without JavaScript, the same choice is a plain GET of the whole page
    html = client.get(f"/products/{product.handle}?variant={small.id}").get_data(as_text=True)
    assert "<html" in html and "$30.00" in html


def test_sold_out_product_disables_both_buttons(client, store, make_product):
    product = make_product(title="Gone", stock=0)
    html = client.get(f"/products/{product.handle}").get_data(as_text=True)
    assert "Sold out" in html
    assert re.search(r"disabled>Buy Now</button>", html)
    assert re.search(r"disabled>Add to cart</button>", html)


def test_unpublished_or_unknown_products_are_not_found(client, store, make_product):
    hidden = make_product(title="Hidden", facebook=False, online_store=False)
    store_only = make_product(title="Store Only", facebook=False)
    assert client.get(f"/products/{hidden.handle}").status_code == 404
    assert client.get("/products/no-such-product").status_code == 404
    html = client.get(f"/products/{store_only.handle}").get_data(as_text=True)
    assert "store-bar" in html  # shown in the online store's look


def test_facebook_only_products_are_not_for_sale_before_the_shop_is_approved(client, store, make_product):
    _set_store(review_state="submitted")
    mug = make_product(title="Facebook Mug", online_store=False)
    response = client.get(f"/products/{mug.handle}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "isn&#39;t open yet" in html and "Buy Now" not in html and "Add to cart" not in html
    response = client.post_form(f"/products/{mug.handle}/buy", {"variant": mug.variants[0].id, "quantity": "1"})
    assert response.status_code == 404

    # A product the online store has too is sold there meanwhile.
    both = make_product(title="Both Mug")
    html = client.get(f"/products/{both.handle}").get_data(as_text=True)
    assert "store-bar" in html and ">Buy Now</button>" in html
    response = client.post_form(f"/products/{both.handle}/buy", {"variant": both.variants[0].id, "quantity": "1"})
    assert response.headers["Location"] == f"/checkout?variant={both.variants[0].id}&quantity=1&source=online_store"


def test_a_product_the_checkout_cannot_sell_is_not_offered(client, store, make_product):
    _set_store(checkout_choice="store")  # the store's own checkout sells what the online store shows
    mug = make_product(title="Facebook Mug", online_store=False)
    html = client.get(f"/products/{mug.handle}").get_data(as_text=True)
    assert "Facebook Mug can&#39;t be bought in the online store." in html
    assert re.search(r"disabled>Buy Now</button>", html)
    assert re.search(r"disabled>Add to cart</button>", html)
    response = client.post_form(f"/products/{mug.handle}/buy", {"variant": mug.variants[0].id, "quantity": "1"})
    assert response.status_code == 422


def test_buy_now_from_the_online_store_uses_the_store_checkout(client, store, make_product):
    kit = make_product(title="Knitting Kit", facebook=False)
    html = client.get(f"/products/{kit.handle}").get_data(as_text=True)
    assert "store-bar" in html and re.search(r"[^d]>Buy Now</button>", html)
    response = client.post_form(f"/products/{kit.handle}/buy",
                                {"variant": kit.variants[0].id, "quantity": "1", "channel": "online_store"})
    assert response.headers["Location"] == f"/checkout?variant={kit.variants[0].id}&quantity=1&source=online_store"


def test_bad_variant_ids_are_not_found(client, store, make_product):
    product = make_product(title="Shirt")
    other = make_product(title="Other")
    assert client.get(f"/products/{product.handle}?variant=abc").status_code == 404
    assert client.get(f"/products/{product.handle}?variant=99999").status_code == 404
    assert client.get(f"/products/{product.handle}?variant={other.variants[0].id}").status_code == 404


def test_buy_now_goes_to_checkout_with_the_item(client, store, make_product):
    product = make_product(title="Shirt", variants=[("S", 3000, 5), ("M", 3500, 2)])
    medium = product.variants[1]
    response = client.post_form(f"/products/{product.handle}/buy", {"variant": medium.id, "quantity": "2"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/checkout?variant={medium.id}&quantity=2"


def test_buy_now_refuses_more_than_in_stock(client, store, make_product):
    product = make_product(title="Shirt", stock=2)
    response = client.post_form(f"/products/{product.handle}/buy",
                                {"variant": product.variants[0].id, "quantity": "3"})
    assert response.status_code == 422
    assert "Only 2 left in stock." in response.get_data(as_text=True)
    response = client.post_form(f"/products/{product.handle}/buy",
                                {"variant": product.variants[0].id, "quantity": "lots"})
    assert response.status_code == 422
