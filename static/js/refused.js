// What the host console and the staff page show when the server refuses their token (wrong,
// from another event, or no longer valid): a banner that stays, and a connection dot that says
// why nothing will load. A toast would vanish and leave "connecting…" on screen forever.
import { $ } from "./dom.js";
import { t } from "./i18n.js";

/** True for an ApiError that means "this page's token is refused" (401 or 403). */
export function isRefusedToken(error) {
  return error !== null && typeof error === "object" && (error.status === 401 || error.status === 403);
}

/** Show the lasting banner (#auth-error) and mark the connection refused; safe to call again. */
export function showRefusedToken() {
  const banner = $("#auth-error");
  banner.dataset.i18n = "console.refused_token"; // so a language switch keeps it translated
  banner.textContent = t("console.refused_token");
  banner.hidden = false;
  const toastBox = $("#toast");
  if (toastBox) toastBox.hidden = true;
  const conn = $("#conn");
  conn.dataset.state = "refused";
  const text = $("#conn-text");
  text.dataset.i18n = "conn.refused";
  text.textContent = t("conn.refused");
}
