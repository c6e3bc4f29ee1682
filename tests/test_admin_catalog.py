"""A2: products with variants, image upload, publishing; collections; discount codes."""
import io
import os
import re
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import event

from pageshop.extensions import db
from pageshop.models import Collection, DiscountCode, Product, Variant


@pytest.fixture
def signed_in(auth, store):
    auth.sign_in()
    return store


def text(response) -> str:
    return response.get_data(as_text=True)


def png_bytes(size=(8, 8), noisy=False) -> bytes:
    buffer = io.BytesIO()
    if noisy:  # random pixels do not compress: a big file
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def product_data(**overrides) -> dict:
    data = {
        "title": "Linen Apron", "handle": "", "description": "Hand-sewn.",
        "published_online_store": "y", "published_facebook": "y",
        "variants-0-id": "", "variants-0-title": "Small", "variants-0-price": "32.50", "variants-0-stock": "4",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def only_product() -> Product:
    db.session.expire_all()
    return db.session.scalars(db.select(Product)).one()


# --- products --------------------------------------------------------------------------


def test_create_product_with_generated_handle(client, signed_in):
    response = client.post_form("/admin/products/new", product_data())
    assert response.status_code == 303
    product = only_product()
    assert product.handle == "linen-apron"
    assert product.published_facebook and product.published_online_store
    assert [(v.title, v.price_cents, v.stock) for v in product.variants] == [("Small", 3250, 4)]
    page = text(client.get(response.headers["Location"]))
    assert "Product Linen Apron created." in page and 'value="32.50"' in page


def test_generated_handle_stays_unique_and_given_handle_must_be_free(client, signed_in, make_product):
    make_product(title="Linen Apron", handle="linen-apron")
    client.post_form("/admin/products/new", product_data())
    assert db.session.scalars(db.select(Product.handle).order_by(Product.id)).all() == ["linen-apron", "linen-apron-2"]
    response = client.post_form("/admin/products/new", product_data(handle="linen-apron"))
    assert response.status_code == 422
    assert "already used by another product" in text(response)
    response = client.post_form("/admin/products/new", product_data(handle="Not A Handle!"))
    assert response.status_code == 422
    assert "lower-case letters" in text(response)


@pytest.mark.parametrize("field, value, message", [
    ("variants-0-price", "-3", "Enter an amount like 12.50."),
    ("variants-0-price", "abc", "Enter an amount like 12.50."),
    ("variants-0-price", "", "Enter a price."),
    ("variants-0-stock", "-1", "Stock can&#39;t be negative."),
    ("variants-0-stock", "2.5", "whole number"),
    ("title", "  ", "Enter a title."),
])
def test_invalid_product_input_is_shown_next_to_the_field(client, signed_in, field, value, message):
    response = client.post_form("/admin/products/new", product_data(**{field: value}))
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalars(db.select(Product)).first() is None


def test_edit_variants_add_change_remove(client, signed_in, make_product):
    product = make_product(title="Mug", variants=[("Blue", 1200, 3), ("Green", 1200, 0)])
    blue, green = product.variants
    page = text(client.get(f"/admin/products/{product.id}"))
    assert 'value="12.00"' in page and "Green" in page
    response = client.post_form(f"/admin/products/{product.id}", {
        "title": "Mug", "handle": product.handle, "published_facebook": "y",
        "variants-0-id": str(blue.id), "variants-0-title": "Blue", "variants-0-price": "14", "variants-0-stock": "9",
        "variants-1-id": str(green.id), "variants-1-title": "Green", "variants-1-price": "12",
        "variants-1-stock": "0", "variants-1-remove": "y",
        "variants-2-id": "", "variants-2-title": "Red", "variants-2-price": "15.99", "variants-2-stock": "2",
    })
    assert response.status_code == 303
    product = only_product()
    assert [(v.title, v.price_cents, v.stock) for v in product.variants] == [("Blue", 1400, 9), ("Red", 1599, 2)]
    assert product.variants[0].id == blue.id
    assert db.session.get(Variant, green.id) is None
    assert product.published_facebook and not product.published_online_store


def test_removing_every_variant_is_refused(client, signed_in, make_product):
    product = make_product()
    variant = product.variants[0]
    response = client.post_form(f"/admin/products/{product.id}", {
        "title": product.title, "variants-0-id": str(variant.id), "variants-0-title": "Default",
        "variants-0-price": "1", "variants-0-stock": "1", "variants-0-remove": "y"})
    assert response.status_code == 422
    assert "at least one variant" in text(response)
    assert len(only_product().variants) == 1


def test_collections_on_a_product(client, signed_in, make_product):
    db.session.add_all([Collection(handle="aprons", title="Aprons"), Collection(handle="sale", title="Sale")])
    db.session.commit()
    sale = db.session.scalars(db.select(Collection).filter_by(handle="sale")).one()
    data = product_data()
    data["collections"] = [str(sale.id)]
    client.post_form("/admin/products/new", data)
    assert [c.handle for c in only_product().collections] == ["sale"]


def test_upload_a_real_png(client, signed_in, app):
    data = product_data()
    data["image"] = (io.BytesIO(png_bytes()), "apron.png")
    response = client.post_form("/admin/products/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    product = only_product()
    assert product.image_filename.endswith(".png") and "apron" not in product.image_filename
    assert os.path.exists(os.path.join(app.config["UPLOAD_FOLDER"], product.image_filename))
    with client.get(f"/images/{product.image_filename}") as served:
        assert served.status_code == 200 and served.data == png_bytes()
    assert product.image_filename in text(client.get("/admin/products"))


def test_a_text_file_named_png_is_refused(client, signed_in, app):
    data = product_data()
    data["image"] = (io.BytesIO(b"<?php echo 'hello'; ?>"), "photo.png")
    response = client.post_form("/admin/products/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This file is not an image" in text(response)
    assert db.session.scalars(db.select(Product)).first() is None
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.exists(folder) or os.listdir(folder) == []


def test_a_too_large_image_is_refused(client, signed_in, app):
    app.config["MAX_IMAGE_BYTES"] = 1000
    big = png_bytes((64, 64), noisy=True)
    Image.open(io.BytesIO(big))  # it is a real image, only too large
    assert len(big) > 1000
    data = product_data()
    data["image"] = (io.BytesIO(big), "big.png")
    response = client.post_form("/admin/products/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "too large" in text(response)


def test_replacing_an_image_removes_the_old_file(client, signed_in, app, make_product):
    product = make_product()
    variant = product.variants[0]
    form = {"title": product.title, "handle": product.handle, "variants-0-id": str(variant.id),
            "variants-0-title": "Default", "variants-0-price": "25", "variants-0-stock": "10"}
    client.post_form(f"/admin/products/{product.id}", {**form, "image": (io.BytesIO(png_bytes()), "a.png")},
                     content_type="multipart/form-data")
    first = only_product().image_filename
    client.post_form(f"/admin/products/{product.id}", {**form, "image": (io.BytesIO(png_bytes((4, 4))), "b.png")},
                     content_type="multipart/form-data")
    second = only_product().image_filename
    assert first != second
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == [second]


def test_product_list_search_and_pagination(client, signed_in, make_product):
    for i in range(26):
        make_product(title=f"Candle {i:02d}")
    make_product(title="Linen Apron")
    page = text(client.get("/admin/products"))
    assert "Page 1 of 2" in page and "Candle 00" in page and "Linen Apron" not in page
    assert "Linen Apron" in text(client.get("/admin/products?page=2"))
    found = text(client.get("/admin/products?q=apron"))
    assert "Linen Apron" in found and "Candle" not in found
    fragment = client.htmx("get", "/admin/products?q=apron", target="product-results")
    assert "Linen Apron" in text(fragment) and "<html" not in text(fragment)


def test_delete_product_keeps_past_orders(client, signed_in, make_product, make_order):
    product = make_product(title="Gone Soon")
    order = make_order(product=product)
    response = client.post_form(f"/admin/products/{product.id}/delete")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, product.id) is None
    assert order.lines[0].product_title == "Gone Soon"
    assert client.get(f"/admin/products/{product.id}").status_code == 404


# --- collections ----------------------------------------------------------------------------


def test_collections_create_edit_delete(client, signed_in, make_product):
    response = client.post_form("/admin/collections/new", {"title": "Summer Sale", "handle": ""})
    assert response.status_code == 303
    collection = db.session.scalars(db.select(Collection)).one()
    assert collection.handle == "summer-sale"
    assert "Summer Sale" in text(client.get("/admin/collections"))
    response = client.post_form("/admin/collections/new", {"title": "Another", "handle": "summer-sale"})
    assert response.status_code == 422 and "already used" in text(response)
    client.post_form(f"/admin/collections/{collection.id}", {"title": "Winter Sale", "handle": "winter-sale"})
    db.session.expire_all()
    assert (collection.title, collection.handle) == ("Winter Sale", "winter-sale")
    product = make_product(collection="Winter Sale")
    client.post_form(f"/admin/collections/{collection.id}/delete")
    db.session.expire_all()
    assert db.session.scalars(db.select(Collection)).first() is None
    assert db.session.get(Product, product.id) is not None


def statements_for(client, url) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_collections_list_counts_products(client, signed_in, make_product):
    for n in range(3):
        make_product(title=f"Apron {n}", collection="Aprons")
    make_product(title="Mug", collection="Mugs")
    db.session.add(Collection(handle="empty", title="Empty"))
    db.session.commit()

    html = text(client.get("/admin/collections"))

    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>", html)
    assert rows == [("Aprons", "3"), ("Empty", "0"), ("Mugs", "1")]


def test_collections_list_queries_do_not_grow_with_products(client, signed_in, make_product):
    make_product(title="Apron", collection="Aprons")
    few = statements_for(client, "/admin/collections")
    for n in range(30):
        make_product(title=f"Tee {n:02d}", collection=f"Tees {n % 5}")
        make_product(title=f"Apron {n:02d}", collection="Aprons")
    loaded = []

    def product_loaded(product, _context):
        loaded.append(product)

    event.listen(Product, "load", product_loaded)
    try:
        many = statements_for(client, "/admin/collections")
    finally:
        event.remove(Product, "load", product_loaded)
    assert many == few  # one GROUP BY, whatever the number of collections and products
    assert loaded == []  # counted by the database, no product loaded


# --- discount codes -------------------------------------------------------------------------


def discount_data(**overrides) -> dict:
    data = {"code": "welcome10", "kind": "percentage", "value": "10", "starts_at": "", "ends_at": "",
            "usage_limit": ""}
    data.update(overrides)
    return data


def test_create_percentage_code_stored_upper_case(client, signed_in):
    response = client.post_form("/admin/discounts/new", discount_data())
    assert response.status_code == 303
    discount = db.session.scalars(db.select(DiscountCode)).one()
    assert (discount.code, discount.kind, discount.value) == ("WELCOME10", "percentage", 10)
    page = text(client.get("/admin/discounts"))
    assert "WELCOME10" in page and "10% off" in page and "0 times" in page


def test_code_is_unique_case_insensitive(client, signed_in):
    client.post_form("/admin/discounts/new", discount_data())
    response = client.post_form("/admin/discounts/new", discount_data(code="Welcome10"))
    assert response.status_code == 422
    assert "already exists" in text(response)


@pytest.mark.parametrize("overrides, message", [
    ({"value": "0"}, "from 1 to 100"),
    ({"value": "101"}, "from 1 to 100"),
    ({"kind": "fixed", "value": "-5"}, "Enter an amount like 12.50."),
    ({"kind": "fixed", "value": "0"}, "above 0"),
    ({"kind": "bogus"}, "Choose percentage or fixed amount."),
    ({"code": ""}, "Enter a code."),
    ({"code": "NO WAY!"}, "Use letters, digits"),
    ({"starts_at": "2026-05-02T10:00", "ends_at": "2026-05-01T10:00"}, "The end must be after the start."),
    ({"starts_at": "tomorrow"}, "Enter a date and time"),
    ({"usage_limit": "0"}, "usage limit of 1 or more"),
    ({"usage_limit": "-2"}, "usage limit of 1 or more"),
])
def test_discount_validation(client, signed_in, overrides, message):
    response = client.post_form("/admin/discounts/new", discount_data(**overrides))
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.scalars(db.select(DiscountCode)).first() is None


def test_fixed_code_with_dates_and_limit_then_edit_and_delete(client, signed_in):
    client.post_form("/admin/discounts/new", discount_data(
        code="FIVE", kind="fixed", value="5.00", starts_at="2026-05-01T09:00", ends_at="2026-06-01T09:00",
        usage_limit="100"))
    discount = db.session.scalars(db.select(DiscountCode)).one()
    assert (discount.value, discount.usage_limit) == (500, 100)
    assert (discount.starts_at, discount.ends_at) == (datetime(2026, 5, 1, 9), datetime(2026, 6, 1, 9))
    discount.times_used = 7
    db.session.commit()
    page = text(client.get(f"/admin/discounts/{discount.id}"))
    assert "Used 7 times." in page and 'value="2026-05-01T09:00"' in page and 'value="5.00"' in page
    response = client.post_form(f"/admin/discounts/{discount.id}", discount_data(
        code="FIVE", kind="fixed", value="5", usage_limit="3"))
    assert response.status_code == 422 and "already used 7 times" in text(response)
    client.post_form(f"/admin/discounts/{discount.id}", discount_data(code="five", kind="fixed", value="6"))
    db.session.expire_all()
    assert (discount.value, discount.usage_limit, discount.starts_at) == (600, None, None)
    assert "7 times" in text(client.get("/admin/discounts"))
    client.post_form(f"/admin/discounts/{discount.id}/delete")
    assert db.session.scalars(db.select(DiscountCode)).first() is None
