// Storefront for the Berth reference service: plain DOM code, no build step, nothing external.
const CART_KEY = 'berth.cartId';
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

const $ = (id) => document.getElementById(id);
const formatCents = (cents) => money.format(cents / 100);

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The shop could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let payload = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const message = payload?.message ?? `The request failed (HTTP ${response.status}).`;
    throw new ApiError(response.status, payload?.error ?? 'http_error', message);
  }
  return payload;
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  const box = $('error');
  box.textContent = '';
  box.hidden = true;
}

// Serialises user actions so a fast double click cannot race two cart mutations.
let queue = Promise.resolve();
function run(action) {
  queue = queue.then(async () => {
    clearError();
    try {
      await action();
    } catch (error) {
      showError(error instanceof ApiError ? error.message : 'Something went wrong. Please try again.');
    }
  });
  return queue;
}

let cart = null;

function storedCartId() {
  return localStorage.getItem(CART_KEY);
}

async function loadStoredCart() {
  const id = storedCartId();
  if (!id) return null;
  try {
    return await api('GET', `/api/carts/${encodeURIComponent(id)}`);
  } catch (error) {
    // A cart the server no longer knows (expired, checked out, other database) is simply forgotten.
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      localStorage.removeItem(CART_KEY);
      return null;
    }
    throw error;
  }
}

async function createCart() {
  const created = await api('POST', '/api/carts');
  localStorage.setItem(CART_KEY, created.id);
  return created;
}

// Runs a cart mutation; if the cart vanished server-side, starts a fresh one and retries once.
async function mutateCart(request) {
  if (!cart) cart = await createCart();
  let result;
  try {
    result = await request(cart.id);
  } catch (error) {
    // A 404 may mean an unknown product rather than a vanished cart, so ask about the cart itself.
    if (!(error instanceof ApiError && error.status === 404) || (await loadStoredCart())) throw error;
    cart = await createCart();
    result = await request(cart.id);
  }
  cart = result?.lines ? result : await api('GET', `/api/carts/${encodeURIComponent(cart.id)}`);
  renderCart();
}

const cartPath = (id, suffix = '') => `/api/carts/${encodeURIComponent(id)}${suffix}`;
const itemPath = (id, sku) => cartPath(id, `/items/${encodeURIComponent(sku)}`);

function addToCart(sku) {
  return run(() => mutateCart((id) => api('POST', cartPath(id, '/items'), { sku, quantity: 1 })));
}

function setQuantity(sku, quantity) {
  return run(() => mutateCart((id) => api('PUT', itemPath(id, sku), { quantity })));
}

function removeLine(sku) {
  return run(() => mutateCart((id) => api('DELETE', itemPath(id, sku))));
}

function checkout() {
  return run(async () => {
    if (!cart || cart.lines.length === 0) return;
    const order = await api('POST', cartPath(cart.id, '/checkout'));
    localStorage.removeItem(CART_KEY);
    cart = null;
    renderCart();
    $('order-id').textContent = order.orderId;
    $('order-total').textContent = formatCents(order.totalCents);
    $('order').hidden = false;
  });
}

function renderProducts(products) {
  const list = $('products');
  const template = $('product-template');
  list.replaceChildren();
  for (const product of products) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.testid = `product-${product.sku}`;
    item.dataset.sku = product.sku;
    const image = item.querySelector('.product-image');
    image.src = product.imageUrl;
    image.alt = product.name;
    item.querySelector('.product-name').textContent = product.name;
    item.querySelector('.product-price').textContent = formatCents(product.priceCents);
    const button = item.querySelector('.add');
    button.dataset.testid = `add-${product.sku}`;
    button.setAttribute('aria-label', `Add ${product.name} to cart`);
    button.addEventListener('click', () => addToCart(product.sku));
    list.append(item);
  }
  $('products-status').hidden = products.length > 0;
  $('products-status').textContent = products.length > 0 ? '' : 'No products are available right now.';
}

function renderCart() {
  const lines = cart?.lines ?? [];
  const list = $('cart-lines');
  const template = $('cart-line-template');
  list.replaceChildren();
  for (const line of lines) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.testid = `cart-line-${line.sku}`;
    item.querySelector('.line-name').textContent = line.name;
    const input = item.querySelector('input');
    input.value = String(line.quantity);
    input.dataset.testid = `qty-${line.sku}`;
    input.previousElementSibling.textContent = `Quantity of ${line.name}`;
    input.addEventListener('change', () => {
      const quantity = Number(input.value);
      if (!Number.isInteger(quantity) || quantity < 0) {
        showError('Quantity must be a whole number, 0 or more.');
        input.value = String(line.quantity);
        return;
      }
      setQuantity(line.sku, quantity);
    });
    item.querySelector('.line-total').textContent =
      `${line.quantity} × ${formatCents(line.unitPriceCents)} = ${formatCents(line.lineTotalCents)}`;
    const remove = item.querySelector('.remove');
    remove.dataset.testid = `remove-${line.sku}`;
    remove.setAttribute('aria-label', `Remove ${line.name} from cart`);
    remove.addEventListener('click', () => removeLine(line.sku));
    list.append(item);
  }
  $('cart-empty').hidden = lines.length > 0;
  $('cart-total').textContent = formatCents(cart?.totalCents ?? 0);
  $('checkout').disabled = lines.length === 0;
  if (lines.length > 0) $('order').hidden = true;
}

async function start() {
  $('checkout').addEventListener('click', checkout);
  await run(async () => {
    try {
      renderProducts(await api('GET', '/api/products'));
    } catch (error) {
      $('products-status').textContent = 'Products could not be loaded.';
      throw error;
    }
    cart = await loadStoredCart();
    renderCart();
  });
  document.body.dataset.ready = 'true';
}

start();
