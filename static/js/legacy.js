// Loaded only by browsers without ES modules (nomodule): some old in-app browsers. Say so
// instead of a blank page. A file, not inline script: the pages' CSP allows scripts from this
// server only. ES5 on purpose: that is all such a browser runs.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("load-error");
  box.textContent = "这个浏览器版本太旧，无法报名。请升级微信，或点右上角“…”选择“在浏览器打开”。"
    + " This browser is too old for this page: please update it or open the link in another browser.";
  box.hidden = false;
});
