// Fixes to the theme's scripts (sphinx-book-theme 1.3, pydata-sphinx-theme 0.17,
// sphinx-togglebutton 0.3, Sphinx 7.4), one per section. Remove a section when the
// version that needs it is gone; tests/book/test_pages.py checks each behaviour.

// Open the sidebars from every toggle button, not only the first one.
//
// pydata-sphinx-theme 0.17 wires its sidebar dialogs to the first element with
// the class primary-toggle (and secondary-toggle). sphinx-book-theme 1.3 puts a
// second such button in the article header, the only one shown on a phone, and
// it was left without a listener: tapping it did nothing (upstream:
// pydata/pydata-sphinx-theme#2451). Each extra button now forwards its click to
// the wired one.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary-toggle", "secondary-toggle"]) {
    const [wired, ...others] = document.querySelectorAll(`.${kind}`);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        wired.click();
      });
    }
  }
});

// Search results without formula text or the page's contents.
//
// Sphinx's search shows, under each result, a snippet of the page's HTML as text.
// A formula's text is its MathML's characters without their layout (a fraction's
// numerator runs into its denominator: "∂ℓ∂ŷ=ŷ−y"), which reads as noise.
// This drops each formula from the snippet's text, leaving "…" in its place.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((formula) => formula.replaceWith("…"));
    // The theme's printed table of contents heads every page's text: the snippet would show it.
    page.querySelectorAll(".onlyprint, .bd-header-article").forEach((element) => element.remove());
    return htmlToText(page.documentElement.outerHTML, anchor);
  };
});

// Solutions open from every part of their title.
//
// A solution's title, "Solution to Exercise 3.1", links to the exercise. The
// title opens the solution when clicked, except on the link: sphinx-togglebutton's
// handler finds no button for it ("button is not defined") and the browser follows
// the link back to the exercise. A tap on the link now opens the solution too.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest(".solution > .admonition-title a");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    link.closest(".admonition-title").querySelector(".toggle-button")?.click();
  },
  true,
);

// The phone's sidebars close after a choice.
//
// Below 960 px the sidebars open as dialogs over the page. Choosing a section in
// the page contents scrolled the page under the dialog, which stayed open and
// covered the text it had jumped to. A link chosen in an open sidebar now closes it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("dialog[open] a[href]");
  if (link) link.closest("dialog").close();
});

// Solution toggles say what they open.
//
// sphinx-togglebutton labels every button "Toggle hidden content", which is all a
// screen reader announced for each of a chapter's solutions. Each button now carries
// its title ("Solution to Exercise 3.1"); aria-expanded still says whether it is open.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".admonition-title > .toggle-button")) {
    const title = Array.from(button.parentElement.childNodes)
      .filter((node) => node !== button)
      .map((node) => node.textContent)
      .join("")
      .trim();
    if (title) button.setAttribute("aria-label", title);
  }
});
