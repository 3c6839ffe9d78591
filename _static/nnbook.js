/* The book's own script; Jupyter Book includes every .js file in _static/ on every page.
   A figure wider than the text column is shown shrunk to it (on a phone, to a quarter of its
   width), where its labels can be too small to read: a click or tap on a chapter's figure opens
   it at full size in a tab of its own, to be read or zoomed there. Slider frames (data: images,
   swapped as the slider moves) are left alone. tests/chapters/test_browser.py checks the links. */
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("div.cell_output img")) {
    if (img.closest("a") || img.getAttribute("src").startsWith("data:")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.target = "_blank";
    link.className = "nnbook-full-size";
    link.title = "Open the figure at full size";
    img.replaceWith(link);
    link.appendChild(img);
  }
});
