"""A2: the catalog: products (variants, image, publishing), collections, discount codes."""
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from pageshop.catalog_admin import (
    VariantInput,
    all_collections,
    all_discounts,
    collections_with_product_counts,
    delete_collection,
    delete_discount,
    delete_product,
    list_products,
    save_collection,
    save_discount,
    save_product,
)
from pageshop.errors import DomainError
from pageshop.extensions import db
from pageshop.ids import parse_id, parse_page
from pageshop.models import Collection, DiscountCode, DiscountKind, Product
from pageshop.money import from_cents
from pageshop.templating import render_page

from . import bp
from .forms import CollectionForm, DiscountForm, ProductForm, TokenForm, add_error


def _show_error(form, exc: DomainError) -> str | None:
    """Put the error next to its field; otherwise return it for the top of the form."""
    return None if add_error(form, exc.field, exc.message) else exc.message


def _save_posted(form, thing, save, render, message, next_url):
    """The POST of a new (`thing` None) or edit form: save, flash `message`, redirect to `next_url`
    (303); or, when a field or the domain refuses it, the form again with the error beside its
    field (422).

    `message` and `next_url` are given the saved thing: a new one has its title and id only then.
    """
    if not form.validate_on_submit():
        return render(form, thing, None, 422)
    try:
        saved = save(form, thing)
    except DomainError as exc:
        return render(form, thing, _show_error(form, exc), 422)
    flash(message(saved), "success")
    return redirect(next_url(saved), code=303)


# --- products ----------------------------------------------------------------------------


@bp.get("/products")
def products():
    query = request.args.get("q", "").strip()
    page = parse_page(request.args.get("page"))
    results = list_products(query, page)
    return render_page("admin/products.html", {"product-results": "results"},
                       results=results, filters={"q": query})


def _product_form_data(product) -> dict:
    return {
        "title": product.title,
        "handle": product.handle,
        "description": product.description,
        "collections": [c.id for c in product.collections],
        "published_online_store": product.published_online_store,
        "published_facebook": product.published_facebook,
        "variants": [{"id": str(v.id), "title": v.title, "price": from_cents(v.price_cents), "stock": v.stock}
                     for v in product.variants],
    }


def _render_product_form(form, product=None, error=None, status=200):
    form.collections.choices = [SelectChoice(c.id, c.title) for c in all_collections()]
    if not any(row.form.blank for row in form.variants):
        form.variants.append_entry()  # a blank row to add a variant
    return render_template("admin/product_form.html", form=form, product=product, error=error,
                           delete_form=TokenForm()), status


def _variant_inputs(form) -> list[VariantInput]:
    """The rows to keep: neither empty nor ticked Remove."""
    rows = []
    for row in form.variants:
        if row.form.blank or row.form.remove.data:
            continue
        raw_id = (row.form.id.data or "").strip()
        rows.append(VariantInput(
            # A garbled id is no variant of this product (-1, refused), not a new one replacing it.
            id=(parse_id(raw_id) or -1) if raw_id else None,
            title=row.form.title.data or "",
            price_cents=row.form.price.cents,
            stock=row.form.stock.data or 0,
        ))
    return rows


def _save_product_from(form, product):
    return save_product(
        product,
        title=form.title.data,
        handle=form.handle.data,
        description=form.description.data,
        collection_ids=[i for i in form.collections.data or [] if i],
        online_store=form.published_online_store.data,
        facebook=form.published_facebook.data,
        variants=_variant_inputs(form),
        image=form.image.data,
        remove_image=form.remove_image.data,
    )


def _product_url(product):
    return url_for("admin.edit_product", product_id=product.id)


@bp.route("/products/new", methods=["GET", "POST"])
def new_product():
    form = ProductForm()
    if request.method == "POST":
        return _save_posted(form, None, _save_product_from, _render_product_form,
                            lambda product: _("Product %(title)s created.", title=product.title),
                            _product_url)
    return _render_product_form(form)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def edit_product(product_id):
    product = db.get_or_404(Product, product_id)
    if request.method == "POST":
        return _save_posted(ProductForm(), product, _save_product_from, _render_product_form,
                            lambda _saved: _("Product saved."), _product_url)
    return _render_product_form(ProductForm(data=_product_form_data(product)), product)


@bp.post("/products/<int:product_id>/delete")
def remove_product(product_id):
    product = db.get_or_404(Product, product_id)
    title = product.title
    delete_product(product)
    flash(_("Product %(title)s deleted.", title=title), "success")
    return redirect(url_for("admin.products"), code=303)


# --- collections ---------------------------------------------------------------------------


@bp.get("/collections")
def collections():
    return render_template("admin/collections.html", collections=collections_with_product_counts())


def _save_collection_from(form, collection):
    return save_collection(collection, title=form.title.data, handle=form.handle.data,
                           description=form.description.data)


def _collections_url(_collection):
    return url_for("admin.collections")


@bp.route("/collections/new", methods=["GET", "POST"])
def new_collection():
    form = CollectionForm()
    if request.method == "POST":
        return _save_posted(form, None, _save_collection_from, _render_collection_form,
                            lambda collection: _("Collection %(title)s created.", title=collection.title),
                            _collections_url)
    return _render_collection_form(form)


@bp.route("/collections/<int:collection_id>", methods=["GET", "POST"])
def edit_collection(collection_id):
    collection = db.get_or_404(Collection, collection_id)
    if request.method == "POST":
        return _save_posted(CollectionForm(), collection, _save_collection_from, _render_collection_form,
                            lambda _saved: _("Collection saved."), _collections_url)
    return _render_collection_form(CollectionForm(obj=collection), collection)


def _render_collection_form(form, collection=None, error=None, status=200):
    return render_template("admin/collection_form.html", form=form, collection=collection, error=error,
                           delete_form=TokenForm()), status


@bp.post("/collections/<int:collection_id>/delete")
def remove_collection(collection_id):
    collection = db.get_or_404(Collection, collection_id)
    title = collection.title
    delete_collection(collection)
    flash(_("Collection %(title)s deleted.", title=title), "success")
    return redirect(url_for("admin.collections"), code=303)


# --- discount codes --------------------------------------------------------------------------


@bp.get("/discounts")
def discounts():
    return render_template("admin/discounts.html", discounts=all_discounts())


def _save_discount_from(form, discount):
    return save_discount(
        discount, code=form.code.data, kind=form.kind.data, value=form.discount_value,
        starts_at=form.starts_at.data, ends_at=form.ends_at.data, usage_limit=form.usage_limit.data,
    )


def _render_discount_form(form, discount=None, error=None, status=200):
    return render_template("admin/discount_form.html", form=form, discount=discount, error=error,
                           delete_form=TokenForm()), status


def _discounts_url(_discount):
    return url_for("admin.discounts")


@bp.route("/discounts/new", methods=["GET", "POST"])
def new_discount():
    form = DiscountForm()
    if request.method == "POST":
        return _save_posted(form, None, _save_discount_from, _render_discount_form,
                            lambda discount: _("Discount code %(code)s created.", code=discount.code),
                            _discounts_url)
    return _render_discount_form(form)


@bp.route("/discounts/<int:discount_id>", methods=["GET", "POST"])
def edit_discount(discount_id):
    discount = db.get_or_404(DiscountCode, discount_id)
    if request.method == "POST":
        return _save_posted(DiscountForm(), discount, _save_discount_from, _render_discount_form,
                            lambda _saved: _("Discount code saved."), _discounts_url)
    form = DiscountForm(data={
        "code": discount.code,
        "kind": discount.kind,
        "value": Decimal(discount.value) if discount.kind == DiscountKind.PERCENTAGE else from_cents(discount.value),
        "starts_at": discount.starts_at,
        "ends_at": discount.ends_at,
        "usage_limit": discount.usage_limit,
    })
    return _render_discount_form(form, discount)


@bp.post("/discounts/<int:discount_id>/delete")
def remove_discount(discount_id):
    discount = db.get_or_404(DiscountCode, discount_id)
    code = discount.code
    delete_discount(discount)
    flash(_("Discount code %(code)s deleted.", code=code), "success")
    return redirect(url_for("admin.discounts"), code=303)
