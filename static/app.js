// Start the GOV.UK Frontend components (loaded as a module: no inline script is needed).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
