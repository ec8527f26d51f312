// A faithful replay of `@esri/arcgis-rest-developer-credentials` (API key credentials part).
//
// That package is not installable from the registry (404, see spec §11.1), so its functions are
// re-implemented here on top of the official `request()` from @esri/arcgis-rest-request@4.10.2
// and `createItem`/`updateItem`/`getItem` from @esri/arcgis-rest-portal@4.10.2 — exactly the
// building blocks the real package uses. Ported from Esri/arcgis-rest-js
// packages/arcgis-rest-developer-credentials/src (last change 93db38b, 2025-12-30):
// createApiKey.ts, updateApiKey.ts, getApiKey.ts, invalidateApiKey.ts, shared/helpers.ts,
// shared/registerApp.ts, shared/getRegisteredAppInfo.ts, shared/generateApiKeyToken.ts,
// shared/unregisterApp.ts. Request order, HTTP methods, parameters (including the quirky
// `regenerateApiToken`/`grant_type` on revokeToken), the missing user token on the
// client_secret-authenticated calls and the parallel minting of both slots are kept as-is;
// only TypeScript types were dropped.
//
// One addition that does not change the wire: every raw `oauth2/token` answer is pushed onto
// `mintLog` so the tests can look at `expires_in`, which the real package discards.
import { appendCustomParams, request } from "@esri/arcgis-rest-request";
import { createItem, getItem, getPortalUrl, updateItem } from "@esri/arcgis-rest-portal";

/** Raw `oauth2/token` responses seen by generateApiKeyToken, in order: {slot, response}. */
export const mintLog = [];

// ------------------------------------------------------------------ shared/helpers.ts

export function stringifyArrays(requestOptions) {
  Object.entries(requestOptions.params).forEach(([key, value]) => {
    if (value.constructor.name === "Array") {
      requestOptions.params[key] = JSON.stringify(value);
    }
  });
}

export function registeredAppResponseToApp(response) {
  const omittedKeys = ["apnsProdCert", "apnsSandboxCert", "gcmApiKey", "isBeta", "customAppLoginShowTriage"];
  const dateKeys = ["modified", "registered"];
  return Object.keys(response)
    .filter((key) => !omittedKeys.includes(key))
    .reduce((obj, key) => {
      obj[key] = dateKeys.includes(key) ? new Date(response[key]) : response[key];
      return obj;
    }, {});
}

export function appToApiKeyProperties(response) {
  delete response.client_secret;
  delete response.redirect_uris;
  delete response.appType;
  delete response.customAppLoginShowTriage;
  delete response.apiKey;
  return response;
}

export function extractBaseRequestOptions(options) {
  const keys = ["credentials", "headers", "hideToken", "httpMethod", "maxUrlLength", "portal",
    "rawResponse", "signal", "suppressWarnings"];
  return filterKeys(options, keys);
}

export function filterKeys(object, includedKeys) {
  return includedKeys.reduce((obj, key) => {
    if (key in object) obj[key] = object[key];
    return obj;
  }, {});
}

/** Exactly REST JS: the slot is the 10th character from the end of the key. */
export function slotForKey(key) {
  const slot = parseInt(key.substring(key.length - 10, key.length - 9));
  if (slot === 1 || slot === 2) return slot;
  return undefined;
}

export function slotForInvalidationKey(param) {
  if (param === 1 || param === 2) return param;
  if (typeof param !== "string") return undefined;
  const fullKeySlot = slotForKey(param);
  if (fullKeySlot) return fullKeySlot;
}

export function generateApiKeyTokens(itemId, slots, requestOptions) {
  return Promise.all(
    slots.map((slot) => generateApiKeyToken({ itemId, apiKey: slot, ...requestOptions }))
  ).then((responses) =>
    responses
      .map((r) => r.access_token)
      .reduce((obj, token) => {
        obj[`accessToken${slotForKey(token)}`] = token;
        return obj;
      }, {})
  );
}

export function generateOptionsToSlots(generateToken1, generateToken2) {
  const slots = [];
  if (generateToken1) slots.push(1);
  if (generateToken2) slots.push(2);
  return slots;
}

export function buildExpirationDateParams(requestOptions, fillDefaults) {
  const updateparams = {};
  if (requestOptions.apiToken1ExpirationDate) {
    updateparams.apiToken1ExpirationDate = requestOptions.apiToken1ExpirationDate;
  }
  if (requestOptions.apiToken2ExpirationDate) {
    updateparams.apiToken2ExpirationDate = requestOptions.apiToken2ExpirationDate;
  }
  if (fillDefaults && !updateparams.apiToken1ExpirationDate) updateparams.apiToken1ExpirationDate = -1;
  if (fillDefaults && !updateparams.apiToken2ExpirationDate) updateparams.apiToken2ExpirationDate = -1;
  return updateparams;
}

// ------------------------------------------------------------------ shared/*.ts

export async function getRegisteredAppInfo(requestOptions) {
  const userName = await requestOptions.authentication.getUsername();
  const url =
    getPortalUrl(requestOptions) +
    `/content/users/${userName}/items/${requestOptions.itemId}/registeredAppInfo`;
  requestOptions.httpMethod = "POST";
  const registeredAppResponse = await request(url, { ...requestOptions, params: { f: "json" } });
  return registeredAppResponseToApp(registeredAppResponse);
}

export async function registerApp(requestOptions) {
  const options = appendCustomParams(requestOptions, [
    "itemId",
    "appType",
    "redirect_uris",
    "httpReferrers",
    "privileges",
  ]);
  stringifyArrays(options);
  const url = getPortalUrl(options) + "/oauth2/registerApp";
  options.httpMethod = "POST";
  options.params.f = "json";
  const registeredAppResponse = await request(url, options);
  return registeredAppResponseToApp(registeredAppResponse);
}

export async function generateApiKeyToken(options) {
  const portal = getPortalUrl(options);
  const url = `${portal}/oauth2/token`;
  const appInfo = await getRegisteredAppInfo({
    itemId: options.itemId,
    authentication: options.authentication,
  });
  const params = {
    client_id: appInfo.client_id,
    client_secret: appInfo.client_secret,
    apiToken: options.apiKey,
    regenerateApiToken: true,
    grant_type: "client_credentials",
  };
  // authentication is not passed: client_secret acts as the auth (as in REST JS)
  const response = await request(url, { params });
  mintLog.push({ slot: options.apiKey, response });
  return response;
}

export async function unregisterApp(requestOptions) {
  requestOptions.httpMethod = "POST";
  const baseRequestOptions = extractBaseRequestOptions(requestOptions);
  const appResponse = await getRegisteredAppInfo({
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
    itemId: requestOptions.itemId,
  });
  const clientId = appResponse.client_id;
  const url = getPortalUrl(requestOptions) + `/oauth2/apps/${clientId}/unregister`;
  return request(url, {
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
    params: { f: "json" },
  });
}

// ------------------------------------------------------------------ public functions

export async function createApiKey(requestOptions) {
  requestOptions.httpMethod = "POST";
  const baseRequestOptions = extractBaseRequestOptions(requestOptions);
  const itemAddProperties = ["categories", "culture", "description", "documentation", "extent",
    "owner", "properties", "snippet", "spatialReference", "tags", "title", "type", "typeKeywords", "url"];

  const createItemResponse = await createItem({
    item: { ...filterKeys(requestOptions, itemAddProperties), type: "Application" },
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
    params: { f: "json" },
  });

  const registeredAppResponse = await registerApp({
    itemId: createItemResponse.id,
    appType: "multiple",
    redirect_uris: ["urn:ietf:wg:oauth:2.0:oob"],
    httpReferrers: requestOptions.httpReferrers || [],
    privileges: requestOptions.privileges,
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
  });

  await updateItem({
    ...baseRequestOptions,
    item: { id: createItemResponse.id, ...buildExpirationDateParams(requestOptions, true) },
    authentication: requestOptions.authentication,
  });

  const itemInfo = await getItem(registeredAppResponse.itemId, {
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
    params: { f: "json" },
  });

  const generatedTokens = await generateApiKeyTokens(
    itemInfo.id,
    generateOptionsToSlots(requestOptions.generateToken1, requestOptions.generateToken2),
    { ...baseRequestOptions, authentication: requestOptions.authentication }
  );

  const updatedRegisteredAppResponse = await getRegisteredAppInfo({
    ...baseRequestOptions,
    itemId: itemInfo.id,
    authentication: requestOptions.authentication,
  });

  return { ...generatedTokens, ...appToApiKeyProperties(updatedRegisteredAppResponse), item: itemInfo };
}

export async function updateApiKey(requestOptions) {
  requestOptions.httpMethod = "POST";
  const baseRequestOptions = extractBaseRequestOptions(requestOptions);

  if (requestOptions.apiToken1ExpirationDate || requestOptions.apiToken2ExpirationDate) {
    await updateItem({
      ...baseRequestOptions,
      item: { id: requestOptions.itemId, ...buildExpirationDateParams(requestOptions) },
      authentication: requestOptions.authentication,
    });
  }

  if (requestOptions.privileges || requestOptions.httpReferrers) {
    const appResponse = await getRegisteredAppInfo({
      ...baseRequestOptions,
      authentication: requestOptions.authentication,
      itemId: requestOptions.itemId,
    });
    const clientId = appResponse.client_id;
    const options = appendCustomParams({ ...appResponse, ...requestOptions }, ["privileges", "httpReferrers"]);
    options.params.f = "json";
    stringifyArrays(options);
    const url = getPortalUrl(options) + `/oauth2/apps/${clientId}/update`;
    await request(url, { ...options, authentication: requestOptions.authentication });
  }

  const updatedItemInfo = await getItem(requestOptions.itemId, {
    ...baseRequestOptions,
    authentication: requestOptions.authentication,
    params: { f: "json" },
  });

  const generatedTokens = await generateApiKeyTokens(
    requestOptions.itemId,
    generateOptionsToSlots(requestOptions.generateToken1, requestOptions.generateToken2),
    { ...baseRequestOptions, authentication: requestOptions.authentication }
  );

  const updatedRegisteredAppResponse = await getRegisteredAppInfo({
    ...baseRequestOptions,
    itemId: requestOptions.itemId,
    authentication: requestOptions.authentication,
  });

  return { ...generatedTokens, ...appToApiKeyProperties(updatedRegisteredAppResponse), item: updatedItemInfo };
}

export async function getApiKey(requestOptions) {
  const appResponse = await getRegisteredAppInfo(requestOptions);
  const itemInfo = await getItem(requestOptions.itemId, {
    ...extractBaseRequestOptions(requestOptions),
    authentication: requestOptions.authentication,
  });
  return { ...appToApiKeyProperties(appResponse), item: itemInfo };
}

export async function invalidateApiKey(requestOptions) {
  const portal = getPortalUrl(requestOptions);
  const url = `${portal}/oauth2/revokeToken`;
  const appInfo = await getRegisteredAppInfo({
    itemId: requestOptions.itemId,
    authentication: requestOptions.authentication,
  });
  const params = {
    client_id: appInfo.client_id,
    client_secret: appInfo.client_secret,
    apiToken: slotForInvalidationKey(requestOptions.apiKey),
    regenerateApiToken: true,
    grant_type: "client_credentials",
  };
  // authentication is not passed: client_secret acts as the auth (as in REST JS)
  return request(url, { params });
}
