// Compile GOV.UK Frontend with the council's fonts and copy its assets into static/govuk.
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";

const out = "static/govuk";
mkdirSync(`${out}/assets`, { recursive: true });
const css = compile("static/src/casework.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(`${out}/govuk-frontend.min.css`, css.css);
const dist = "node_modules/govuk-frontend/dist/govuk";
cpSync(`${dist}/govuk-frontend.min.js`, `${out}/govuk-frontend.min.js`);
cpSync(`${dist}/assets/images`, `${out}/assets/images`, { recursive: true });
cpSync(`${dist}/assets/manifest.json`, `${out}/assets/manifest.json`);
console.log(`assets: ${out}/govuk-frontend.min.css (${css.css.length} bytes)`);
