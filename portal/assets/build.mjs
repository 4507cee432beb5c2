// Builds portal/static from GOV.UK Frontend: compiled CSS, its JavaScript, fonts-free assets.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const statik = join(root, "portal", "static");

mkdirSync(join(statik, "css"), { recursive: true });
mkdirSync(join(statik, "js"), { recursive: true });

const result = sass.compile(join(here, "scss", "main.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(statik, "css", "main.css"), result.css);

cpSync(join(govuk, "govuk-frontend.min.js"), join(statik, "js", "govuk-frontend.min.js"));
cpSync(join(here, "js"), join(statik, "js"), { recursive: true });
cpSync(join(govuk, "assets", "images"), join(statik, "govuk", "assets", "images"), { recursive: true });
cpSync(join(govuk, "assets", "manifest.json"), join(statik, "govuk", "assets", "manifest.json"));
writeFileSync(join(statik, ".built"), new Date().toISOString());
console.log("Built portal/static (css/main.css, js/app.js, govuk assets).");
