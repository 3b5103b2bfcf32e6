// Open the sidebars from every toggle button, not only the first one.
//
// pydata-sphinx-theme 0.17 wires its sidebar dialogs to the first element with
// the class primary-toggle (and secondary-toggle). sphinx-book-theme 1.3 puts a
// second such button in the article header, the only one shown on a phone, and
// it was left without a listener: tapping it did nothing (upstream:
// pydata/pydata-sphinx-theme#2451). Each extra button now forwards its click to
// the wired one. Remove this file once the theme wires every button.
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
