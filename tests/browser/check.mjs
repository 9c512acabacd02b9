// Opens pages of a rendered site from file:// in headless Chromium, in the
// light and the dark color scheme: fails on a console error, an uncaught
// exception, a failed request, a request for anything outside the site, or
// an axe-core violation of serious or critical impact, and on navigation
// left in the print form. Saves a full-page screenshot of each page in each
// scheme, and of its print form.
//
// node check.mjs SITE_DIR SHOTS_DIR PAGE...   (PAGE relative to SITE_DIR)
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";

const [site, shots, ...pages] = process.argv.slice(2);
if (!site || !shots || pages.length === 0) {
  console.error("usage: node check.mjs SITE_DIR SHOTS_DIR PAGE...");
  process.exit(2);
}
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const root = pathToFileURL(resolve(site) + "/").href;
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const problems = [];
for (const scheme of ["light", "dark"]) {
  const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
  for (const path of pages) {
    const page = await context.newPage();
    const where = `${path} (${scheme})`;
    page.on("console", (m) => { if (m.type() === "error") problems.push(`${where}: console error: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`${where}: uncaught: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`${where}: failed request: ${r.url()} ${r.failure()?.errorText}`));
    page.on("request", (r) => { if (!r.url().startsWith(root)) problems.push(`${where}: request outside the site: ${r.url()}`); });
    const response = await page.goto(new URL(path, root).href, { waitUntil: "load" });
    if (!response) problems.push(`${where}: no response`);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ["violations"], preload: false });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    for (const v of result) {
      const line = `${where}: axe ${v.impact} ${v.id}: ${v.help} at ${v.nodes.join(", ")}`;
      if (v.impact === "serious" || v.impact === "critical") problems.push(line);
      else console.log(`note: ${line}`);
    }
    const name = path.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/\.html$/, "");
    await page.screenshot({ path: join(shots, `${name}-${scheme}.png`), fullPage: true });
    if (scheme === "light") {
      // The print form: what a validator files.
      await page.emulateMedia({ media: "print" });
      const hidden = await page.evaluate(() => ["header.site nav", "nav.toc"]
        .filter((s) => document.querySelector(s))
        .filter((s) => getComputedStyle(document.querySelector(s)).display !== "none"));
      if (hidden.length > 0) problems.push(`${where}: shown in print: ${hidden.join(", ")}`);
      // The provenance line stays on the printed document.
      const footer = await page.evaluate(() => getComputedStyle(document.querySelector("footer.site")).display);
      if (footer === "none") problems.push(`${where}: the footer is hidden in print`);
      await page.screenshot({ path: join(shots, `${name}-print.png`), fullPage: true });
      await page.emulateMedia({ media: "screen" });
    }
    await page.close();
  }
  await context.close();
}
await browser.close();
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`ok: ${pages.length} pages, light and dark, no console error, no failed or outside request, no serious or critical axe violation`);
