// Signing in: the local stack's /dev/sign-in, or Cognito's USER_PASSWORD_AUTH straight
// from the browser with its NEW_PASSWORD_REQUIRED and SOFTWARE_TOKEN_MFA challenges.
import { $ } from "./dom.js";
import { lang, t } from "./i18n.js";
import { request } from "./api.js";
import { BASE, state } from "./state.js";

export const TOKEN_KEY = "rebook.dashboard.token";
let challenge = null; // {name, session, username}
let onSignedIn = () => {};

function cognito(target, body) {
  return fetch(`https://cognito-idp.${state.config.region}.amazonaws.com/`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
    },
  }).then((r) => r.json().then((data) => {
    if (r.ok) return data;
    throw { code: String(data.__type || "").split("#").pop(), message: data.message || "" };
  }));
}

function cognitoResult(data, username) {
  if (data.AuthenticationResult && data.AuthenticationResult.IdToken) return data.AuthenticationResult.IdToken;
  const boxes = { NEW_PASSWORD_REQUIRED: "new-password", SOFTWARE_TOKEN_MFA: "mfa-code" };
  if (boxes[data.ChallengeName]) {
    challenge = { name: data.ChallengeName, session: data.Session, username };
    $("credentials").hidden = true;
    $("new-password-box").hidden = data.ChallengeName !== "NEW_PASSWORD_REQUIRED";
    $("mfa-box").hidden = data.ChallengeName !== "SOFTWARE_TOKEN_MFA";
    $(boxes[data.ChallengeName]).value = "";
    $(boxes[data.ChallengeName]).focus();
    return null;
  }
  throw { code: "unsupported_challenge", message: data.ChallengeName || "" };
}

function signInWith(email, password) {
  const mode = state.config && state.config.auth;
  if (mode === "local") {
    return request("POST", `${BASE}dev/sign-in`, { body: { email, password } }).then((d) => d.token);
  }
  if (mode !== "cognito") return Promise.reject({ code: "no_sign_in" });
  const clientId = state.config.client_id;
  if (challenge) {
    const answer = { USERNAME: challenge.username };
    if (challenge.name === "NEW_PASSWORD_REQUIRED") answer.NEW_PASSWORD = $("new-password").value;
    else answer.SOFTWARE_TOKEN_MFA_CODE = $("mfa-code").value.trim();
    return cognito("RespondToAuthChallenge", {
      ChallengeName: challenge.name, ClientId: clientId, Session: challenge.session, ChallengeResponses: answer,
    }).then((d) => cognitoResult(d, challenge.username));
  }
  return cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId, AuthParameters: { USERNAME: email, PASSWORD: password },
  }).then((d) => cognitoResult(d, email));
}

async function onSubmit(e) {
  e.preventDefault();
  const email = $("email").value.trim();
  const password = $("password").value;
  const button = e.target.querySelector("button[type=submit]");
  const error = $("sign-in-error");
  error.textContent = "";
  $("sign-in-note").textContent = ""; // "You have signed out." is past once she signs in again
  if (!challenge && (!email || !password)) { error.textContent = t("fill_both"); return; }
  button.disabled = true;
  button.textContent = t("signing_in");
  try {
    const token = await signInWith(email, password);
    if (token) {
      challenge = null;
      setToken(token);
      for (const id of ["password", "new-password", "mfa-code"]) $(id).value = "";
      await onSignedIn();
    }
  } catch (err) {
    const code = err && err.code;
    if (code === "NotAuthorizedException" && challenge) {
      resetChallenge(); // the challenge's session ran out: from the top
      error.textContent = t("sign_in_failed");
    } else if (["invalid_credentials", "NotAuthorizedException", "UserNotFoundException"].includes(code)) {
      error.textContent = t("bad_credentials");
    } else if (code === "CodeMismatchException" || code === "ExpiredCodeException") {
      error.textContent = t("bad_code");
    } else if (code === "InvalidPasswordException") {
      error.textContent = t("password_rules", { message: err.message });
    } else if (code === "no_sign_in") {
      error.textContent = t("no_sign_in");
    } else {
      error.textContent = t("sign_in_failed");
    }
  } finally {
    button.disabled = false;
    button.textContent = t("sign_in");
  }
}

function resetChallenge() {
  challenge = null;
  $("credentials").hidden = false;
  $("new-password-box").hidden = true;
  $("mfa-box").hidden = true;
}

// --- a forgotten password: a code by email, then the code and a new password ------------
// Cognito's ForgotPassword and ConfirmForgotPassword (the pool sends the code), or the
// local stack's /dev/forgot-password and /dev/reset-password (its mock SES carries it).
let codeSent = false;

function resetCall(body) {
  const mode = state.config && state.config.auth;
  if (mode === "local") {
    const path = codeSent ? "dev/reset-password" : "dev/forgot-password";
    return request("POST", `${BASE}${path}`, { body: codeSent ? body : { email: body.email, lang: lang() } });
  }
  if (mode !== "cognito") return Promise.reject({ code: "no_sign_in" });
  const ClientId = state.config.client_id;
  if (!codeSent) return cognito("ForgotPassword", { ClientId, Username: body.email });
  return cognito("ConfirmForgotPassword", {
    ClientId, Username: body.email, ConfirmationCode: body.code, Password: body.password,
  });
}

function resetMessage(err) {
  const code = err && err.code;
  if (code === "CodeMismatchException" || code === "bad_code") return t("bad_code");
  if (code === "ExpiredCodeException" || code === "expired_code") return t("expired_code");
  if (code === "password_rules") return t("password_rule");
  if (code === "password_spaces") return t("password_spaces");
  if (code === "InvalidPasswordException") return t("password_rules", { message: err.message });
  if (code === "LimitExceededException" || code === "TooManyRequestsException" || code === "too_many_codes") return t("too_many_tries");
  // Cognito's, asked for a code, for an invited user who never signed in or an address
  // never verified; with the code, InvalidParameterException is the password's form.
  if (!codeSent && (code === "NotAuthorizedException" || code === "InvalidParameterException")) {
    return t("reset_not_possible");
  }
  if (code === "InvalidParameterException") return t("password_spaces");
  if (code === "no_sign_in") return t("no_sign_in");
  return t("reset_failed");
}

function showReset(open, focus = true) {
  $("sign-in-form").hidden = open;
  $("reset-form").hidden = !open;
  $("reset-error").textContent = "";
  $("sign-in-error").textContent = "";
  $("sign-in-title").setAttribute("data-t", open ? "new_password" : "sign_in_title");
  $("sign-in-title").textContent = t(open ? "new_password" : "sign_in_title");
  if (open) {
    $("reset-email").value = $("email").value.trim();
    $("reset-code").value = "";
    $("reset-password").value = "";
  }
  askForCode(open && focus);
  if (!open && focus) $("email").focus();
}

// The first step: her address, and a button that sends a code to it (again, after a code
// that expired or was spent: what she typed stays).
function askForCode(focus) {
  codeSent = false;
  $("reset-code").value = ""; // the spent code out of the way of the next one
  $("reset-code-box").hidden = true;
  $("reset-email").readOnly = false;
  setResetButton("send_code");
  if (focus) $("reset-email").focus();
}

function setResetButton(key) {
  const button = $("reset-submit");
  button.setAttribute("data-t", key); // a language switch rewords it as it stands
  button.textContent = t(key);
}

async function onReset(e) {
  e.preventDefault();
  const email = $("reset-email").value.trim();
  const code = $("reset-code").value.trim();
  const password = $("reset-password").value;
  const error = $("reset-error");
  const button = $("reset-submit");
  error.textContent = "";
  if (!email) { error.textContent = t("fill_email"); $("reset-email").focus(); return; }
  if (codeSent && (!code || !password)) {
    error.textContent = t("fill_code_and_password");
    $(code ? "reset-password" : "reset-code").focus();
    return;
  }
  if (codeSent && password !== password.trim()) { // Cognito refuses it; said before asking
    error.textContent = t("password_spaces");
    $("reset-password").focus();
    return;
  }
  button.disabled = true;
  button.textContent = t("sending_code");
  try {
    await resetCall({ email, code, password });
    if (!codeSent) {
      codeSent = true;
      $("reset-email").readOnly = true; // the code is for this address
      $("reset-code-box").hidden = false;
      $("reset-code").focus();
    } else {
      showReset(false);
      $("email").value = email;
      $("password").value = "";
      $("sign-in-note").textContent = t("password_changed");
      $("password").focus();
    }
  } catch (err) {
    const code = err && err.code;
    if (codeSent && (code === "expired_code" || code === "ExpiredCodeException")) askForCode(true);
    error.textContent = resetMessage(err);
  } finally {
    button.disabled = false;
    setResetButton(codeSent ? "set_password" : "send_code");
  }
}

export function setToken(token) {
  state.token = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) { /* private mode: the token lives as long as the page */ }
}

export function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
}

export function showSignIn(note) {
  $("booting").hidden = true;
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("search").hidden = true;
  $("sign-in").hidden = false;
  resetChallenge();
  showReset(false, false);
  $("sign-in-note").textContent = note ? t(note) : "";
  document.title = "Rebook";
}

export function initSignIn(signedIn) {
  onSignedIn = signedIn;
  $("sign-in-form").addEventListener("submit", onSubmit);
  $("reset-form").addEventListener("submit", onReset);
  $("forgot").addEventListener("click", () => showReset(true));
  $("reset-back").addEventListener("click", () => showReset(false));
}
