"""`flask seed`: the demo store of SPEC, its logins, idempotence, and generated products."""
import os

from PIL import Image
from sqlalchemy import func, select

from pageshop import clock
from pageshop.extensions import db
from pageshop.models import (
    AdminUser,
    Collection,
    DiscountCode,
    FacebookAccount,
    FacebookPage,
    Order,
    Product,
    ShippingRate,
    Store,
    Variant,
)
from pageshop.seed import seed_demo


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_store_is_a_us_store_with_both_channels(app):
    seed_demo()
    store = db.session.scalars(select(Store)).one()
    assert (store.name, store.country, store.currency) == ("Maple & Thread", "US", "USD")
    assert (store.email, store.support_email) == ("shop@example.com", "support@example.com")
    assert store.review_state == "approved"
    assert store.checkout_choice == "facebook"
    assert store.buy_now_destination == "shop"
    assert store.facebook_page.name == "Maple & Thread"
    assert store.messenger_page_id == store.facebook_page_id
    assert sorted(db.session.scalars(select(FacebookPage.name))) == [
        "Maple & Thread", "Maple & Thread Outlet"]
    rates = db.session.scalars(select(ShippingRate).order_by(ShippingRate.position)).all()
    assert [(r.name, r.price_cents) for r in rates] == [("Standard", 500), ("Express", 1500)]
    assert count(Order) == 0


def test_demo_catalog_has_what_the_shop_needs(app):
    seed_demo()
    assert count(Collection) >= 3
    products = db.session.scalars(select(Product)).all()
    on_facebook = [p for p in products if p.published_facebook]
    assert len(on_facebook) >= 12
    assert all(p.image_filename for p in products)
    for product in products:
        path = os.path.join(app.config["UPLOAD_FOLDER"], product.image_filename)
        with Image.open(path) as image:
            assert image.format == "PNG"
    in_stock = [p for p in on_facebook if not p.sold_out]
    assert len(in_stock) >= 11
    assert any(p.sold_out for p in on_facebook)
    several = [p for p in products if len(p.variants) > 1]
    assert len(several) >= 3
    assert any(len({v.price_cents for v in p.variants}) > 1 for p in several)
    assert any(len({v.stock for v in p.variants}) > 1 for p in several)
    assert [p.title for p in products if p.published_online_store and not p.published_facebook]
    assert [p.title for p in products if not p.published_online_store and not p.published_facebook]
    assert all(p.collections for p in on_facebook)


def test_demo_discount_codes_include_an_expired_one(app):
    seed_demo()
    codes = {c.code: c for c in db.session.scalars(select(DiscountCode))}
    assert (codes["WELCOME10"].kind, codes["WELCOME10"].value) == ("percentage", 10)
    assert (codes["FIVEOFF"].kind, codes["FIVEOFF"].value) == ("fixed", 500)
    assert any(c.ends_at is not None and c.ends_at < clock.now() for c in codes.values())


def test_demo_logins_work_through_the_sign_in_pages(app, client, auth):
    seed_demo()
    assert auth.facebook_login("alex@example.com").status_code == 303
    assert "Alex Rivera" in client.get("/").get_data(as_text=True)
    assert auth.facebook_login("sam@example.com").status_code == 303
    assert "Sam Chen" in client.get("/").get_data(as_text=True)
    assert client.get("/admin/orders").status_code == 302
    assert auth.sign_in("merchant@example.com").status_code == 303
    assert client.get("/admin/orders").status_code == 200
    assert db.session.scalars(select(FacebookAccount.name).order_by(FacebookAccount.email)).all() == [
        "Alex Rivera", "Sam Chen"]
    assert count(AdminUser) == 1


def test_shop_tab_lists_the_demo_with_images(app, client):
    seed_demo()
    html = client.get("/shop").get_data(as_text=True)
    assert "Merino Wool Beanie" in html
    assert "Knitting Starter Kit" not in html  # online store only
    assert "Patchwork Quilt" not in html  # unpublished
    with client.get("/images/demo-merino-wool-beanie.png") as image:
        assert image.status_code == 200
        assert image.mimetype == "image/png"


def test_flask_seed_twice_changes_nothing_the_second_time(app, runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    products, variants = count(Product), count(Variant)
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert "already seeded" in second.output.lower()
    assert (count(Store), count(Product), count(Variant), count(AdminUser)) == (
        1, products, variants, 1)


def test_flask_seed_products_adds_that_many_published_products_each_time(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    before = count(Product)
    result = runner.invoke(args=["seed", "--products", "50"])
    assert result.exit_code == 0, result.output
    assert count(Product) == before + 50
    result = runner.invoke(args=["seed", "--products", "50"])  # handles stay unique
    assert result.exit_code == 0, result.output
    assert count(Product) == before + 100
    assert count(Store) == 1
    generated = db.session.scalars(select(Product).where(Product.image_filename.is_(None))).all()
    assert len(generated) == 100
    assert all(p.published_facebook and p.published_online_store and p.variants for p in generated)
    assert len({p.handle for p in generated}) == 100


def test_flask_seed_products_on_an_empty_database_seeds_the_demo_first(app, runner):
    result = runner.invoke(args=["seed", "--products", "5"])
    assert result.exit_code == 0, result.output
    assert count(Store) == 1
    assert db.session.scalar(
        select(func.count()).select_from(Product).where(Product.image_filename.is_(None))) == 5


def test_flask_seed_before_the_migrations_says_what_to_do(app, runner):
    db.drop_all()
    try:
        result = runner.invoke(args=["seed"])
        assert result.exit_code != 0
        assert "flask db upgrade" in result.output
    finally:
        db.create_all()
