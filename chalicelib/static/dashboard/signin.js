// Signing in: the local stack's /dev/sign-in, or Cognito's USER_PASSWORD_AUTH straight
// from the browser with its NEW_PASSWORD_REQUIRED and SOFTWARE_TOKEN_MFA challenges.
import { $ } from "./dom.js";
import { t } from "./i18n.js";
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
  $("sign-in-note").textContent = note ? t(note) : "";
  document.title = "Rebook";
}

export function initSignIn(signedIn) {
  onSignedIn = signedIn;
  $("sign-in-form").addEventListener("submit", onSubmit);
}
