// The storefront in a real browser against the real server: add, change quantity, remove, check out.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningServer, startServer } from './support/server-process.js';

const CHROMIUM = '/usr/bin/chromium-headless-shell';
const OUTPUT_DIR = fileURLToPath(new URL('../test-output/', import.meta.url));
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const usd = (cents: number) => money.format(cents / 100);

interface Product {
  sku: string;
  name: string;
  priceCents: number;
  imageUrl: string;
}

const byTestId = (id: string) => `[data-testid="${id}"]`;

/** Waits until the element's text is exactly `expected`, and fails with what it showed instead. */
async function expectText(page: Page, testId: string, expected: string) {
  const selector = byTestId(testId);
  await page
    .waitForFunction(
      ([sel, text]) => document.querySelector(sel!)?.textContent?.trim() === text,
      [selector, expected],
      {
        timeout: 10_000,
      },
    )
    .catch(async () => {
      const actual = await page
        .locator(selector)
        .textContent({ timeout: 1000 })
        .catch(() => '<missing>');
      assert.fail(`${testId} shows ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    });
}

describe('storefront', {
  skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed`,
  timeout: 120_000,
}, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let products: Map<string, Product>;

  before(async () => {
    server = await startServer();
    products = new Map(
      ((await (await fetch(`${server.url}/api/products`)).json()) as Product[]).map((p) => [p.sku, p]),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const price = (sku: string) => products.get(sku)!.priceCents;

  test('lists the four products with images and prices', async () => {
    await page.locator(byTestId('add-BERTH-STICKERS')).waitFor();
    for (const sku of ['BERTH-MUG', 'BERTH-TEE', 'BERTH-CAP', 'BERTH-STICKERS']) {
      const card = page.locator(byTestId(`product-${sku}`));
      assert.match((await card.textContent()) ?? '', new RegExp(usd(price(sku)).replace('$', '\\$')));
      const loaded = await card
        .locator('img')
        .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
      assert.ok(loaded, `${sku} image loaded`);
    }
    await expectText(page, 'cart-total', usd(0));
    assert.equal(await page.locator(byTestId('checkout')).isDisabled(), true, 'nothing to check out yet');
  });

  test('adds products and shows the cart total', async () => {
    await page.click(byTestId('add-BERTH-MUG'));
    await expectText(page, 'cart-total', usd(price('BERTH-MUG')));
    await page.click(byTestId('add-BERTH-TEE'));
    await expectText(page, 'cart-total', usd(price('BERTH-MUG') + price('BERTH-TEE')));
    assert.ok(
      await page.evaluate(() => localStorage.getItem('berth.cartId')),
      'cart id kept in localStorage',
    );
  });

  test('changes a quantity and removes a line', async () => {
    await page.fill(byTestId('qty-BERTH-MUG'), '3');
    await page.press(byTestId('qty-BERTH-MUG'), 'Enter');
    await expectText(page, 'cart-total', usd(3 * price('BERTH-MUG') + price('BERTH-TEE')));

    await page.click(byTestId('remove-BERTH-TEE'));
    await expectText(page, 'cart-total', usd(3 * price('BERTH-MUG')));
    assert.equal(await page.locator(byTestId('cart-line-BERTH-TEE')).count(), 0);
  });

  test('keeps the cart across a reload', async () => {
    await page.reload();
    await expectText(page, 'cart-total', usd(3 * price('BERTH-MUG')));
    await page.click(byTestId('add-BERTH-CAP'));
    await expectText(page, 'cart-total', usd(3 * price('BERTH-MUG') + price('BERTH-CAP')));
    await mkdir(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: `${OUTPUT_DIR}storefront-cart.png`, fullPage: true });
  });

  test('shows the API error message when a request fails', async () => {
    // GIVEN the API rejects the checkout
    await page.route('**/api/carts/*/checkout', (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'cart_conflict', message: 'This cart changed; please review it.' }),
      }),
    );
    // WHEN the shopper checks out
    await page.click(byTestId('checkout'));
    // THEN the message is shown and the cart is untouched
    await expectText(page, 'error', 'This cart changed; please review it.');
    assert.equal(await page.locator(byTestId('error')).getAttribute('role'), 'alert');
    await expectText(page, 'cart-total', usd(3 * price('BERTH-MUG') + price('BERTH-CAP')));
    await page.unroute('**/api/carts/*/checkout');
  });

  test('checks out and shows the order id', async () => {
    await page.click(byTestId('checkout'));
    await page.locator(byTestId('order-confirmation')).waitFor({ state: 'visible' });
    const orderId = (await page.locator(byTestId('order-id')).textContent())?.trim() ?? '';
    assert.notEqual(orderId, '', 'order id shown');
    await expectText(page, 'order-total', usd(3 * price('BERTH-MUG') + price('BERTH-CAP')));
    await expectText(page, 'cart-total', usd(0));
    assert.equal(await page.locator(byTestId('error')).isVisible(), false, 'the earlier error is cleared');
    assert.equal(await page.evaluate(() => localStorage.getItem('berth.cartId')), null, 'cart forgotten');
    await page.screenshot({ path: `${OUTPUT_DIR}storefront-order.png`, fullPage: true });
  });

  test('starts a new cart when the stored one no longer exists', async () => {
    // GIVEN a cart id the server does not know
    await page.evaluate(() => localStorage.setItem('berth.cartId', '00000000-0000-4000-8000-000000000000'));
    await page.reload();
    await expectText(page, 'cart-total', usd(0));
    // WHEN a product is added THEN a fresh cart takes it
    await page.click(byTestId('add-BERTH-STICKERS'));
    await expectText(page, 'cart-total', usd(price('BERTH-STICKERS')));
    const cartId = await page.evaluate(() => localStorage.getItem('berth.cartId'));
    assert.notEqual(cartId, '00000000-0000-4000-8000-000000000000');
    const cart = await (await fetch(`${server.url}/api/carts/${cartId}`)).json();
    assert.equal(cart.totalCents, price('BERTH-STICKERS'));
  });
});
