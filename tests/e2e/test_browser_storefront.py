"""The customer's story in a real headless Chromium, through the edge of the running stack:
browse the catalog (a category, the next page), open a product, create an account, fill a
cart (add, change the quantity, remove), check out with a card that pays and watch CONFIRMED
appear without a reload, then with a card that is declined and read why. Every page passes
axe-core with no serious violation, and none logs a console error (a CSP refusal is one)."""

from __future__ import annotations

import re
import uuid

import pytest
from browser import (
    accessible,
    click,
    fill,
    find,
    new_customer,
    redrawn_safe,
    screenshot,
    text_of,
    visible,
    wait_for,
)
from devstack_runner import RunningStack
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from shoppers import PASSWORD, SETTLE_WITHIN

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def status_of(driver: WebDriver) -> str:
    element = visible(driver, "#order-status")
    return element.get_attribute("data-status") or "" if element else ""


def product_ids(driver: WebDriver) -> set[str]:
    """The products of the catalog page on screen (a redrawn page is read again)."""
    return redrawn_safe(
        driver,
        lambda d: {
            c.get_attribute("data-product") or ""
            for c in d.find_elements(By.CSS_SELECTOR, "li.card")
        },
        "the catalog's cards",
    )


def open_catalog(driver: WebDriver, edge: str) -> None:
    driver.get(f"{edge}/#/")
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Catalog", "Catalog")
    find(driver, "li.card")


def add_first_in_stock(driver: WebDriver, edge: str) -> str:
    open_catalog(driver, edge)
    before = text_of(driver, "#cart-count")

    def add(d: WebDriver) -> str:
        card = next(
            card
            for card in d.find_elements(By.CSS_SELECTOR, "li.card")
            if card.find_element(By.TAG_NAME, "button").is_enabled()
        )
        product_id = card.get_attribute("data-product") or ""
        card.find_element(By.TAG_NAME, "button").click()
        return product_id

    product_id = redrawn_safe(driver, add, "a product in stock, added")
    wait_for(driver, lambda d: d.find_element(By.ID, "cart-count").text != before, "in the cart")
    return product_id


def checkout(driver: WebDriver, edge: str, card: str) -> str:
    driver.get(f"{edge}/#/cart")
    click(driver, f"#card-{card}")
    click(driver, "form.checkout button[type=submit]")
    wait_for(driver, lambda d: re.search(r"#/orders/[0-9a-f-]{36}$", d.current_url), "the order")
    return driver.current_url.rsplit("/", 1)[1]


def test_a_customer_browses_fills_a_cart_and_sees_the_order_confirmed_live(
    stack: RunningStack, driver: WebDriver
) -> None:
    edge = stack.edge
    driver.get(f"{edge}/")
    find(driver, "li.card")
    assert driver.title == "Acme Shop"
    # Thumbnails (the console's story uploads one) are loaded, not refused or broken.
    wait_for(
        driver,
        lambda d: d.execute_script(
            "return [...document.querySelectorAll('li.card img')]"
            ".every((img) => img.complete && img.naturalWidth > 0)"
        ),
        "the thumbnails",
    )
    screenshot(driver, "storefront-catalog")
    accessible(driver, "catalog")

    # A category, then the next page of the whole catalog.
    name = text_of(driver, "nav.categories li:nth-child(2) a").rsplit(" (", 1)[0]
    click(driver, "nav.categories li:nth-child(2) a")
    wait_for(driver, lambda d: f"Category: {name}" in d.find_element(By.TAG_NAME, "h1").text, name)
    open_catalog(driver, edge)
    first_page = product_ids(driver)
    click(driver, "a[rel=next]")
    wait_for(driver, lambda d: product_ids(d) - first_page, "the next page")

    # An account, made in the page.
    click(driver, "a[href='#/register']")
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    fill(
        driver,
        {
            "input[autocomplete=name]": "Grace Hopper",
            "input[autocomplete=email]": email,
            "input[autocomplete=new-password]": PASSWORD,
        },
    )
    screenshot(driver, "storefront-register")
    accessible(driver, "register")
    click(driver, "form button[type=submit]")
    wait_for(driver, lambda d: email in d.find_element(By.ID, "account").text, "signed in")

    # A product page: two of it into the cart.
    open_catalog(driver, edge)
    click(driver, "li.card h2 a")
    quantity = find(driver, "article.product input[type=number]")
    quantity.clear()
    quantity.send_keys("2")
    screenshot(driver, "storefront-product")
    accessible(driver, "product")
    click(driver, "article.product button[type=submit]")
    wait_for(driver, lambda d: d.find_element(By.ID, "cart-count").text == "(2)", "2 in the cart")
    driver.execute_script("window.sameDocument = 'yes'")  # gone if anything reloads the page

    # The cart: a second product added then removed, the first one's quantity changed.
    second = add_first_in_stock(driver, edge)
    driver.get(f"{edge}/#/cart")
    find(driver, "table.lines tbody tr")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.lines tbody tr")
    if len(rows) == 2:
        click(driver, f"tr[data-product='{second}'] button[aria-label^=Remove]")
        wait_for(
            driver,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "table.lines tbody tr")) == 1,
            "removed",
        )
    total_before = text_of(driver, "#cart-total")
    line = find(driver, "table.lines tbody tr input.qty")
    line.clear()
    line.send_keys("1")
    click(driver, "table.lines tbody tr button[aria-label^=Update]")
    wait_for(
        driver, lambda d: d.find_element(By.ID, "cart-total").text != total_before, "new total"
    )
    assert text_of(driver, "#cart-count") == "(1)"
    screenshot(driver, "storefront-cart")
    accessible(driver, "cart")

    # Checkout with a card that pays: the status changes in place until CONFIRMED.
    order_id = checkout(driver, edge, "tok_visa")
    wait_for(driver, lambda d: status_of(d) == "CONFIRMED", "CONFIRMED", SETTLE_WITHIN)
    assert driver.execute_script("return window.sameDocument") == "yes", "the page reloaded"
    assert "CONFIRMED" in text_of(driver, "#order-status")
    screenshot(driver, "storefront-order-confirmed")
    accessible(driver, "order")

    # A declined card: the order ends CANCELLED, and the page says why.
    add_first_in_stock(driver, edge)
    declined_id = checkout(driver, edge, "tok_chargeDeclined")
    wait_for(driver, lambda d: status_of(d) == "CANCELLED", "CANCELLED", SETTLE_WITHIN)
    assert "payment was declined" in text_of(driver, "#order-status")
    screenshot(driver, "storefront-order-declined")

    # The confirmed order, cancelled: its payment is refunded and the page says who cancelled.
    driver.get(f"{edge}/#/orders/{order_id}")
    wait_for(driver, lambda d: status_of(d) == "CONFIRMED", "the confirmed order")
    click(driver, "main button.secondary")
    wait_for(driver, lambda d: status_of(d) == "CANCELLED", "cancelled", SETTLE_WITHIN)
    assert "you cancelled it" in text_of(driver, "#order-status")

    # Both in the order history.
    driver.get(f"{edge}/#/orders")
    wait_for(
        driver,
        lambda d: (
            d.find_element(By.TAG_NAME, "h1").text == "Your orders"
            and {order_id[:8], declined_id[:8]}
            <= set(d.find_element(By.CSS_SELECTOR, "table.lines").text.split())
        ),
        "both orders in the history",
    )
    accessible(driver, "orders")


def test_the_storefront_works_from_the_keyboard(stack: RunningStack, driver: WebDriver) -> None:
    driver.get(f"{stack.edge}/#/")
    find(driver, "li.card")
    assert driver.switch_to.active_element.tag_name == "h1", "a new page takes the focus"
    first = driver.execute_script(
        "return document.querySelector('a[href], button, input, select, textarea')"
    )
    assert first.get_attribute("textContent") == "Skip to content", (
        "the first stop of the tab order skips the header"
    )
    driver.execute_script("arguments[0].focus()", first)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "main", "main")
    # Tab from the content lands on the categories, then on the first product's link.
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "All"
    for _ in range(20):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.switch_to.active_element.tag_name == "a" and (
            driver.switch_to.active_element.get_attribute("href") or ""
        ).count("#/p/"):
            break
    product = driver.switch_to.active_element.text
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text == product, product)
    assert driver.switch_to.active_element.tag_name == "h1", "focus moves to the new page"


def test_a_card_that_asks_for_authentication_confirms_once_the_customer_passes_it(
    stack: RunningStack, driver: WebDriver
) -> None:
    edge = stack.edge
    email, _ = new_customer(edge)
    driver.get(f"{edge}/#/login")
    fill(
        driver,
        {"input[autocomplete=username]": email, "input[autocomplete=current-password]": PASSWORD},
    )
    click(driver, "form button[type=submit]")
    wait_for(driver, lambda d: email in d.find_element(By.ID, "account").text, "signed in")
    add_first_in_stock(driver, edge)
    checkout(driver, edge, "tok_threeDSecure2Required")
    wait_for(driver, lambda d: status_of(d) == "PAYMENT_ACTION_REQUIRED", "waiting", SETTLE_WITHIN)
    assert "authenticate" in text_of(driver, "#order-status")
    screenshot(driver, "storefront-authentication")
    accessible(driver, "authentication")

    # The issuer's page opens in a new window; the order's page follows on its own.
    shop = driver.current_window_handle
    click(driver, "#authenticate")
    wait_for(driver, lambda d: len(d.window_handles) == 2, "the issuer's window")
    driver.switch_to.window(next(h for h in driver.window_handles if h != shop))
    wait_for(
        driver,
        lambda d: next(
            (b for b in d.find_elements(By.TAG_NAME, "button") if "Complete" in b.text), None
        ),
        "the issuer's page",
    ).click()
    wait_for(
        driver, lambda d: "succeeded" in d.page_source or "processing" in d.page_source, "done"
    )
    driver.close()
    driver.switch_to.window(shop)
    wait_for(driver, lambda d: status_of(d) == "CONFIRMED", "CONFIRMED", SETTLE_WITHIN)
