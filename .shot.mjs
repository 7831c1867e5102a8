import { chromium } from 'playwright-core';
const [url, out, ...actions] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
page.on('console', (m) => { if (m.type() === 'error') console.log('console:', m.text()); });
await page.goto(url);
await page.waitForTimeout(2500);
for (const a of actions) {
  const [kind, arg, val] = a.split('|');
  if (kind === 'click') await page.click(arg);
  if (kind === 'fill') await page.fill(arg, val);
  if (kind === 'goto') await page.goto(arg);
  if (kind === 'scroll') await page.locator(arg).first().scrollIntoViewIfNeeded();
  if (kind === 'press') await page.keyboard.press(arg);
  if (kind === 'wait') await page.waitForTimeout(Number(arg));
}
await page.waitForTimeout(1200);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
