// Start the GOV.UK Frontend components (loaded as a module: no inline script is needed).
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();

// A table wider than its box scrolls inside it: say so, and let the keyboard scroll it too.
function markWideTables() {
  for (const box of document.querySelectorAll(".app-table-scroll")) {
    const wide = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("app-table-scroll--wide", wide);
    let hint = box.previousElementSibling;
    if (!hint || !hint.classList.contains("app-table-scroll__hint")) {
      hint = document.createElement("p");
      hint.className = "govuk-body-s app-table-scroll__hint";
      hint.textContent = "Scroll sideways to see the whole table.";
      box.before(hint);
    }
    hint.classList.toggle("app-table-scroll__hint--shown", wide);
    if (wide) {
      const caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
}
markWideTables();
window.addEventListener("resize", markWideTables);
