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
    fill,
    find,
    screenshot,
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


def add_first_in_stock(driver: WebDriver, edge: str) -> str:
    driver.get(f"{edge}/#/")
    find(driver, "li.card")
    card = next(
        card
        for card in driver.find_elements(By.CSS_SELECTOR, "li.card")
        if card.find_element(By.TAG_NAME, "button").is_enabled()
    )
    product_id = card.get_attribute("data-product") or ""
    before = driver.find_element(By.ID, "cart-count").text
    card.find_element(By.TAG_NAME, "button").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "cart-count").text != before, "in the cart")
    return product_id


def checkout(driver: WebDriver, edge: str, card: str) -> str:
    driver.get(f"{edge}/#/cart")
    find(driver, f"#card-{card}").click()
    find(driver, "form.checkout button[type=submit]").click()
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
    category = find(driver, "nav.categories li:nth-child(2) a")
    name = category.text.rsplit(" (", 1)[0]
    category.click()
    wait_for(driver, lambda d: f"Category: {name}" in d.find_element(By.TAG_NAME, "h1").text, name)
    driver.get(f"{edge}/#/")
    first_page = {
        c.get_attribute("data-product") for c in driver.find_elements(By.CSS_SELECTOR, "li.card")
    }
    find(driver, "a[rel=next]").click()
    wait_for(
        driver,
        lambda d: (
            {c.get_attribute("data-product") for c in d.find_elements(By.CSS_SELECTOR, "li.card")}
            - first_page
        ),
        "the next page",
    )

    # An account, made in the page.
    find(driver, "a[href='#/register']").click()
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
    find(driver, "form button[type=submit]").click()
    wait_for(driver, lambda d: email in d.find_element(By.ID, "account").text, "signed in")

    # A product page: two of it into the cart.
    driver.get(f"{edge}/#/")
    find(driver, "li.card h2 a").click()
    quantity = find(driver, "article.product input[type=number]")
    quantity.clear()
    quantity.send_keys("2")
    screenshot(driver, "storefront-product")
    accessible(driver, "product")
    find(driver, "article.product button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "cart-count").text == "(2)", "2 in the cart")
    driver.execute_script("window.sameDocument = 'yes'")  # gone if anything reloads the page

    # The cart: a second product added then removed, the first one's quantity changed.
    second = add_first_in_stock(driver, edge)
    driver.get(f"{edge}/#/cart")
    find(driver, "table.lines tbody tr")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.lines tbody tr")
    if len(rows) == 2:
        find(driver, f"tr[data-product='{second}'] button[aria-label^=Remove]").click()
        wait_for(
            driver,
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "table.lines tbody tr")) == 1,
            "removed",
        )
    total_before = find(driver, "#cart-total").text
    line = find(driver, "table.lines tbody tr input.qty")
    line.clear()
    line.send_keys("1")
    find(driver, "table.lines tbody tr button[aria-label^=Update]").click()
    wait_for(
        driver, lambda d: d.find_element(By.ID, "cart-total").text != total_before, "new total"
    )
    assert find(driver, "#cart-count").text == "(1)"
    screenshot(driver, "storefront-cart")
    accessible(driver, "cart")

    # Checkout with a card that pays: the status changes in place until CONFIRMED.
    order_id = checkout(driver, edge, "tok_visa")
    wait_for(driver, lambda d: status_of(d) == "CONFIRMED", "CONFIRMED", SETTLE_WITHIN)
    assert driver.execute_script("return window.sameDocument") == "yes", "the page reloaded"
    assert "CONFIRMED" in find(driver, "#order-status").text
    screenshot(driver, "storefront-order-confirmed")
    accessible(driver, "order")

    # A declined card: the order ends CANCELLED, and the page says why.
    add_first_in_stock(driver, edge)
    declined_id = checkout(driver, edge, "tok_chargeDeclined")
    wait_for(driver, lambda d: status_of(d) == "CANCELLED", "CANCELLED", SETTLE_WITHIN)
    assert "payment was declined" in find(driver, "#order-status").text
    screenshot(driver, "storefront-order-declined")

    # The confirmed order, cancelled: its payment is refunded and the page says who cancelled.
    driver.get(f"{edge}/#/orders/{order_id}")
    wait_for(driver, lambda d: status_of(d) == "CONFIRMED", "the confirmed order")
    find(driver, "main button.secondary").click()
    wait_for(driver, lambda d: status_of(d) == "CANCELLED", "cancelled", SETTLE_WITHIN)
    assert "you cancelled it" in find(driver, "#order-status").text

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
