// The sandbox's Slack client: renders what the bot sent (Block Kit, mrkdwn) and sends what a person does.
// Text from the bot or from people is only ever put into the page as text nodes, never as HTML.
"use strict";

const POLL_MS = 400;
const BOT_ID = "UBOT";
// Glyphs every common font has, so these read well even without a colour emoji font.
const GLYPHS = {
  white_check_mark: "✔", heavy_check_mark: "✔", ballot_box_with_check: "☑", warning: "⚠", star: "★",
  information_source: "ℹ", arrow_right: "→", arrow_left: "←", x: "✖", heavy_multiplication_x: "✖",
};
const EMOJI = {
  calendar: "📅", date: "📅", spiral_calendar_pad: "🗓️", zzz: "💤", alarm_clock: "⏰", wave: "👋", tada: "🎉",
  memo: "📝", bell: "🔔", speech_balloon: "💬", hourglass: "⌛", hourglass_flowing_sand: "⏳", eyes: "👀",
  bulb: "💡", pushpin: "📌", thumbsup: "👍", "+1": "👍", smile: "😄", slightly_smiling_face: "🙂",
  raised_hands: "🙌", clipboard: "📋", sparkles: "✨", lock: "🔒", busts_in_silhouette: "👥",
  bust_in_silhouette: "👤", seedling: "🌱", rocket: "🚀", heart: "❤️", question: "❓", exclamation: "❗",
  handshake: "🤝", chart_with_upwards_trend: "📈", writing_hand: "✍️", mag: "🔍", point_right: "👉",
  muscle: "💪", coffee: "☕", no_entry: "⛔",
};

// Whether this browser can draw colour emoji; without a font for them they would show as empty boxes.
const COLOR_EMOJI = (() => {
  try {
    const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    ctx.canvas.width = ctx.canvas.height = 24;
    ctx.font = "20px sans-serif";
    ctx.textBaseline = "top";
    ctx.fillText("📅", 0, 0);
    const pixels = ctx.getImageData(0, 0, 24, 24).data;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] && (Math.abs(pixels[i] - pixels[i + 1]) > 20 || Math.abs(pixels[i + 1] - pixels[i + 2]) > 20)) return true;
    }
  } catch (_) { /* no canvas: fall back to text */ }
  return false;
})();

const S = {
  me: localStorage.getItem("mal-sandbox-me") || null,
  tab: "messages",
  generation: 0,
  people: [],
  names: { [BOT_ID]: "mal" },
  last: { dm: null, home: null, people: null, clock: null },
  modal: null,            // {id, hash, values, clientErrors, serverErrors, view}
  seen: JSON.parse(localStorage.getItem("mal-sandbox-seen") || "{}"),
  local: {},              // client-side notices per person (unknown commands)
  busy: false,
  clock: null,
};

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (selector) => document.querySelector(selector);

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (_) { data = {}; }
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function toast(text) {
  const box = $(".toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

// ---------------------------------------------------------------- text: mrkdwn and plain_text

function decodeEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojiText(name) {
  if (GLYPHS[name]) return GLYPHS[name];
  return (COLOR_EMOJI && EMOJI[name]) || `:${name}:`;
}

function plainText(obj) {
  if (!obj) return "";
  const text = typeof obj === "string" ? obj : (obj.text || "");
  if (obj.emoji === false) return text;
  return text.replace(/:([a-z0-9_+'-]+):/g, (_, name) => emojiText(name));
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

function angle(inner) {
  // <@U123|name>, <#C123|name>, <!here>, <!date^...^fallback>, <url|label>, <url>
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return h("span", { class: "mention", "data-user": id }, "@" + (S.names[id] || label || id));
  }
  if (target.startsWith("#")) return h("span", { class: "mention" }, "#" + (label || target.slice(1)));
  if (target.startsWith("!subteam^")) return h("span", { class: "mention" }, "@" + (label || "group"));
  if (target.startsWith("!date^")) {
    const parts = target.split("^");
    return document.createTextNode(decodeEntities(label || parts[parts.length - 1] || ""));
  }
  if (target.startsWith("!")) return h("span", { class: "mention" }, "@" + target.slice(1));
  const url = safeUrl(decodeEntities(target));
  const shown = decodeEntities(label || target);
  if (!url) return document.createTextNode(shown);
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, shown);
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

const INLINE = [
  { kind: "code", re: /`([^`\n]+)`/ },
  { kind: "angle", re: /<([^<>\n]+)>/ },
  { kind: "bold", re: /(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])/u },
  { kind: "italic", re: /(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/u },
  { kind: "strike", re: /(?<![\p{L}\p{N}~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}~])/u },
  { kind: "emoji", re: /:([a-z0-9_+'-]+):/ },
];

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (best === null || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) { out.push(document.createTextNode(decodeEntities(rest))); break; }
    if (best.m.index > 0) out.push(document.createTextNode(decodeEntities(rest.slice(0, best.m.index))));
    const inner = best.m[1];
    switch (best.rule.kind) {
      case "code": out.push(h("code", {}, decodeEntities(inner))); break;
      case "angle": out.push(angle(inner)); break;
      case "bold": out.push(h("b", {}, inline(inner))); break;
      case "italic": out.push(h("i", {}, inline(inner))); break;
      case "strike": out.push(h("s", {}, inline(inner))); break;
      case "emoji": out.push(document.createTextNode(emojiText(inner))); break;
    }
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return out;
}

function mrkdwn(text) {
  // Code blocks first; the rest line by line (quotes), then inline formatting.
  const box = h("div", { class: "mrkdwn" });
  const pieces = String(text || "").split("```");
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      box.append(h("pre", {}, decodeEntities(piece.replace(/^\n/, ""))));
      return;
    }
    const lines = piece.split("\n");
    let quote = null;
    lines.forEach((line, n) => {
      const quoted = /^(&gt;|>)\s?/.exec(line);
      if (quoted) {
        if (!quote) { quote = h("blockquote", {}); box.append(quote); } else quote.append("\n");
        quote.append(...inline(line.slice(quoted[0].length)));
        return;
      }
      quote = null;
      box.append(...inline(line));
      if (n < lines.length - 1) box.append("\n");
    });
  });
  return box;
}

function textObject(obj) {
  if (!obj) return h("span", {});
  if (obj.type === "mrkdwn") return mrkdwn(obj.text);
  return h("div", { class: "plain" }, plainText(obj));
}

// ---------------------------------------------------------------- rich text

function richElements(elements) {
  return (elements || []).map((e) => {
    const style = e.style || {};
    let node;
    if (e.type === "text") node = document.createTextNode(e.text || "");
    else if (e.type === "link") {
      const url = safeUrl(e.url || "");
      node = url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, e.text || e.url) : document.createTextNode(e.text || e.url || "");
    } else if (e.type === "user") node = h("span", { class: "mention" }, "@" + (S.names[e.user_id] || e.user_id));
    else if (e.type === "channel") node = h("span", { class: "mention" }, "#" + e.channel_id);
    else if (e.type === "usergroup") node = h("span", { class: "mention" }, "@" + e.usergroup_id);
    else if (e.type === "broadcast") node = h("span", { class: "mention" }, "@" + e.range);
    else if (e.type === "emoji") node = document.createTextNode(e.unicode ? String.fromCodePoint(...e.unicode.split("-").map((x) => parseInt(x, 16))) : emojiText(e.name));
    else if (e.type === "date") node = document.createTextNode(e.fallback || "");
    else node = document.createTextNode(e.text || "");
    if (style.code) node = h("code", {}, node);
    if (style.bold) node = h("b", {}, node);
    if (style.italic) node = h("i", {}, node);
    if (style.strike) node = h("s", {}, node);
    return node;
  });
}

function richText(block) {
  const box = h("div", { class: "b-rich mrkdwn" });
  for (const part of block.elements || []) {
    if (part.type === "rich_text_section") box.append(h("div", {}, richElements(part.elements)));
    else if (part.type === "rich_text_preformatted") box.append(h("pre", {}, richElements(part.elements)));
    else if (part.type === "rich_text_quote") box.append(h("blockquote", {}, richElements(part.elements)));
    else if (part.type === "rich_text_list") {
      const list = h(part.style === "ordered" ? "ol" : "ul", { class: `indent-${part.indent || 0}` });
      for (const item of part.elements || []) list.append(h("li", {}, richElements(item.elements)));
      box.append(list);
    }
  }
  return box;
}

// ---------------------------------------------------------------- Block Kit

function optionsOf(element) {
  const options = [...(element.options || [])];
  for (const group of element.option_groups || []) options.push(...(group.options || []));
  return options;
}

function optionLabel(option) {
  return plainText(option.text);
}

// The element's current value, as the page keeps it for a modal's state.
function initialValue(element) {
  switch (element.type) {
    case "plain_text_input": case "email_text_input": case "url_text_input": case "number_input":
      return element.initial_value ?? null;
    case "datepicker": return element.initial_date ?? null;
    case "timepicker": return element.initial_time ?? null;
    case "static_select": case "radio_buttons": return element.initial_option ? element.initial_option.value : null;
    case "multi_static_select": case "checkboxes": return (element.initial_options || []).map((o) => o.value);
    case "users_select": return element.initial_user ?? null;
    case "multi_users_select": return [...(element.initial_users || [])];
    default: return null;
  }
}

function isEmpty(value) {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

// Renders one interactive element. `onChange(value)` is called for inputs; `act(value)` for actions.
function renderElement(element, ctx) {
  const attrs = { dataset: { actionId: element.action_id || "", type: element.type } };
  const change = (value) => ctx.onChange ? ctx.onChange(value) : ctx.act(value);
  switch (element.type) {
    case "button": {
      const cls = "btn" + (element.style ? " " + element.style : "");
      const btn = h("button", { type: "button", class: cls, ...attrs, onclick: () => {
        if (element.url) { const url = safeUrl(element.url); if (url) window.open(url, "_blank", "noopener"); }
        ctx.act(null, btn);
      } }, plainText(element.text));
      return btn;
    }
    case "static_select": case "external_select": {
      const select = h("select", { class: "select", ...attrs });
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      select.append(h("option", { value: "", disabled: true, selected: isEmpty(current) }, plainText(element.placeholder) || "Select an item"));
      for (const group of element.option_groups || []) {
        const g = h("optgroup", { label: plainText(group.label) });
        for (const o of group.options || []) g.append(h("option", { value: o.value, selected: o.value === current }, optionLabel(o)));
        select.append(g);
      }
      for (const o of element.options || []) select.append(h("option", { value: o.value, selected: o.value === current }, optionLabel(o)));
      select.addEventListener("change", () => change(select.value || null));
      return select;
    }
    case "overflow": {
      const select = h("select", { class: "select overflow", ...attrs, "aria-label": "More actions" });
      select.append(h("option", { value: "", selected: true }, "⋯"));
      for (const o of element.options || []) select.append(h("option", { value: o.value }, optionLabel(o)));
      select.addEventListener("change", () => { if (select.value) ctx.act(select.value); select.value = ""; });
      return select;
    }
    case "multi_static_select": case "multi_external_select": case "checkboxes": {
      const current = new Set(ctx.value !== undefined ? (ctx.value || []) : initialValue(element));
      const box = h("div", { class: element.type === "checkboxes" ? "checks" : "multi", ...attrs });
      for (const o of optionsOf(element)) {
        const input = h("input", { type: "checkbox", value: o.value, checked: current.has(o.value) });
        input.addEventListener("change", () => {
          if (input.checked) current.add(o.value); else current.delete(o.value);
          const ordered = optionsOf(element).map((x) => x.value).filter((v) => current.has(v));
          change(ordered);
        });
        box.append(h("label", { class: "check" }, input, h("span", {}, optionLabel(o)),
          o.description ? h("span", { class: "desc" }, plainText(o.description)) : null));
      }
      return box;
    }
    case "radio_buttons": {
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      const name = "r-" + Math.random().toString(36).slice(2);
      const box = h("div", { class: "checks", ...attrs });
      for (const o of element.options || []) {
        const input = h("input", { type: "radio", name, value: o.value, checked: o.value === current });
        input.addEventListener("change", () => { if (input.checked) change(o.value); });
        box.append(h("label", { class: "check" }, input, h("span", {}, optionLabel(o)),
          o.description ? h("span", { class: "desc" }, plainText(o.description)) : null));
      }
      return box;
    }
    case "users_select": case "multi_users_select": {
      const multiple = element.type === "multi_users_select";
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      const select = h("select", { class: "select", multiple, ...attrs });
      if (!multiple) select.append(h("option", { value: "", disabled: true, selected: isEmpty(current) }, plainText(element.placeholder) || "Select a person"));
      for (const p of S.people) {
        const chosen = multiple ? (current || []).includes(p.id) : p.id === current;
        select.append(h("option", { value: p.id, selected: chosen }, p.name));
      }
      select.addEventListener("change", () => change(multiple ? [...select.selectedOptions].map((o) => o.value) : (select.value || null)));
      return select;
    }
    case "datepicker": {
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      const input = h("input", { type: "date", class: "input date", value: current || "", ...attrs });
      input.addEventListener("change", () => change(input.value || null));
      return input;
    }
    case "timepicker": {
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      const input = h("input", { type: "time", class: "input time", value: current || "", ...attrs });
      input.addEventListener("change", () => change(input.value || null));
      return input;
    }
    case "plain_text_input": case "email_text_input": case "url_text_input": case "number_input": {
      const current = ctx.value !== undefined ? ctx.value : initialValue(element);
      const type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[element.type] || "text";
      const common = { class: "input", placeholder: plainText(element.placeholder) || null, maxlength: element.max_length || null, ...attrs };
      const input = element.multiline ? h("textarea", { rows: 3, ...common }) : h("input", { type, ...common });
      input.value = current || "";
      // In a modal every keystroke is state; elsewhere (dispatch_action) Slack sends once the person is done.
      input.addEventListener(ctx.onChange ? "input" : "change", () => change(input.value === "" ? null : input.value));
      return input;
    }
    case "image":
      return h("span", { class: "image-alt", title: element.alt_text || "" }, "[image] " + (element.alt_text || ""));
    default:
      return h("span", { class: "unsupported" }, `[${element.type}]`);
  }
}

// ctx: {surface: "message"|"home"|"modal", ts, viewId, modal (state for inputs)}
function renderBlocks(blocks, ctx) {
  const box = h("div", { class: "blocks" });
  for (const block of blocks || []) box.append(renderBlock(block, ctx));
  return box;
}

function actionContext(block, element, ctx) {
  return {
    act: (value, button) => sendAction(ctx, block, element, value, button),
  };
}

function renderBlock(block, ctx) {
  const data = { dataset: { blockId: block.block_id || "", blockType: block.type } };
  switch (block.type) {
    case "header":
      return h("div", { class: "b-header", ...data }, plainText(block.text));
    case "divider":
      return h("hr", { class: "b-divider", ...data });
    case "section": {
      const body = h("div", { class: "b-section-body" });
      if (block.text) body.append(textObject(block.text));
      if (block.fields && block.fields.length) {
        body.append(h("div", { class: "b-fields" }, block.fields.map((f) => h("div", { class: "b-field" }, textObject(f)))));
      }
      const section = h("div", { class: "b-section", ...data }, body);
      if (block.accessory) {
        const acc = block.accessory.type === "image"
          ? renderElement(block.accessory, {})
          : renderElement(block.accessory, actionContext(block, block.accessory, ctx));
        section.append(h("div", { class: "b-accessory" }, acc));
      }
      return section;
    }
    case "context":
      return h("div", { class: "b-context", ...data }, (block.elements || []).map((e) =>
        e.type === "image" ? h("span", { class: "image-alt" }, "[image]") : h("span", { class: "b-context-item" }, textObject(e))));
    case "actions":
      return h("div", { class: "b-actions", ...data }, (block.elements || []).map((e) =>
        renderElement(e, actionContext(block, e, ctx))));
    case "input":
      return renderInput(block, ctx, data);
    case "rich_text":
      return richText(block);
    case "image":
      return h("div", { class: "b-image", ...data }, block.title ? h("div", { class: "b-image-title" }, plainText(block.title)) : null,
        h("span", { class: "image-alt" }, "[image] " + (block.alt_text || "")));
    case "file":
      return h("div", { class: "b-context", ...data }, "[file]");
    default:
      return h("div", { class: "unsupported", ...data }, `[${block.type}]`);
  }
}

function renderInput(block, ctx, data) {
  const element = block.element || {};
  const id = "in-" + (block.block_id || Math.random().toString(36).slice(2));
  const label = h("label", { class: "b-input-label", for: id }, plainText(block.label),
    block.optional ? h("span", { class: "optional" }, " (optional)") : null);
  let control;
  if (ctx.surface === "modal" && S.modal) {
    const key = block.block_id;
    control = renderElement(element, {
      value: S.modal.values[key],
      onChange: (value) => {
        S.modal.values[key] = value;
        delete S.modal.clientErrors[key];
        showModalErrors();
      },
      act: () => {},
    });
  } else {
    control = renderElement(element, actionContext(block, element, ctx));
  }
  control.id = id;
  return h("div", { class: "b-input", ...data },
    label, control,
    block.hint ? h("div", { class: "b-hint" }, plainText(block.hint)) : null,
    h("div", { class: "b-error", "data-error-for": block.block_id || "", role: "alert" }));
}

async function sendAction(ctx, block, element, value, button) {
  if (!S.me) return;
  const me = S.me;
  const body = {
    surface: ctx.surface, ts: ctx.ts, view_id: ctx.viewId,
    block_id: block.block_id, action_id: element.action_id, value,
  };
  if (button) button.classList.add("pressed");
  try {
    await api(`/api/users/${me}/action`, body);
  } catch (error) {
    toast(`The click did not go through: ${error.message}`);
  } finally {
    if (button) setTimeout(() => button.classList.remove("pressed"), 300);
    refresh();
  }
}

// ---------------------------------------------------------------- people and clock

function initials(name) {
  return (name || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
}

function colorFor(id) {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const palette = ["#2eb67d", "#36c5f0", "#ecb22e", "#e01e5a", "#4a154b", "#1264a3", "#e8912d", "#8b5cf6"];
  return palette[hash % palette.length];
}

function avatar(id, name, cls) {
  if (id === BOT_ID) return h("span", { class: "bot-avatar " + (cls || "") }, "m");
  return h("span", { class: "avatar " + (cls || ""), style: `background:${colorFor(id)}` }, initials(name));
}

function city(tz) {
  return (tz || "").split("/").pop().replace(/_/g, " ");
}

function role(p) {
  if (p.reports) return `Manager · ${p.reports} report${p.reports === 1 ? "" : "s"}`;
  if (p.manager) return `Reports to ${S.names[p.manager] || p.manager}`;
  return "";
}

function language(locale) {
  const lang = (locale || "").split("-")[0];
  return { nb: "Norsk", nn: "Nynorsk", sv: "Svenska", en: "English" }[lang] || locale || "";
}

function renderPeople() {
  const box = $(".people");
  const key = JSON.stringify([S.people, S.seen, S.me, S.tab]);
  if (key === renderPeople.key) return;
  renderPeople.key = key;
  box.replaceChildren();
  for (const p of S.people) {
    const unread = p.id === S.me && S.tab === "messages" ? 0 : Math.max(0, p.received - (S.seen[p.id] || 0));
    const item = h("button", {
      type: "button", class: "person" + (p.id === S.me ? " active" : ""), role: "option",
      "aria-selected": p.id === S.me ? "true" : "false", dataset: { testid: "person-" + p.id, user: p.id },
      onclick: () => choose(p.id),
    },
    avatar(p.id, p.name, "small"),
    h("span", { class: "person-text" },
      h("span", { class: "person-name" }, p.name),
      h("span", { class: "person-role" }, [role(p), city(p.tz), language(p.locale)].filter(Boolean).join(" · "))),
    unread ? h("span", { class: "badge", "data-testid": "unread-" + p.id }, String(unread)) : null);
    box.append(item);
  }
}

function viewerTz() {
  const me = S.people.find((p) => p.id === S.me);
  return (me && me.tz) || (S.clock && S.clock.tz) || "Europe/Oslo";
}

function formatClock(iso, tz, withYear) {
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: tz };
  if (withYear) { options.weekday = "long"; options.month = "long"; options.year = "numeric"; }
  return new Intl.DateTimeFormat("en-GB", options).format(new Date(iso));
}

function renderClock() {
  const clock = S.clock;
  if (!clock) return;
  const tz = viewerTz();
  $(".clock-now").textContent = formatClock(clock.now, tz, true);
  $(".clock-tz").textContent = city(tz);
  $(".clock-next-when").textContent = clock.next ? " · " + formatClock(clock.next, tz, false) : " · nothing planned";
  $(".clock-next").disabled = S.busy || !clock.next;
  for (const b of document.querySelectorAll(".clock-btn")) if (b.dataset.move !== "next") b.disabled = S.busy;
  document.body.classList.toggle("busy", S.busy);
}

async function moveClock(how) {
  if (S.busy) return;
  S.busy = true;
  renderClock();
  try {
    S.clock = await api(`/api/clock/${how}`, {});
  } catch (error) {
    toast(`The clock did not move: ${error.message}`);
  } finally {
    S.busy = false;
    renderClock();
    refresh();
  }
}

// ---------------------------------------------------------------- messages and home

function tsCompare(a, b) {
  const [aw, af] = splitOnce(String(a), ".");
  const [bw, bf] = splitOnce(String(b), ".");
  return (Number(aw) - Number(bw)) || (Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0")));
}

function tsDate(ts) {
  return new Date(parseFloat(ts) * 1000);
}

function dayLabel(date, tz) {
  return new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: tz }).format(date);
}

function timeLabel(date, tz) {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: tz }).format(date);
}

function renderMessages(dm) {
  const list = $(".messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const tz = viewerTz();
  list.replaceChildren();
  const me = S.people.find((p) => p.id === S.me);
  list.append(h("div", { class: "intro" },
    h("span", { class: "bot-avatar large" }, "m"),
    h("div", { class: "intro-title" }, "mal"),
    h("div", { class: "intro-text" }, `This is the very beginning of your direct message history with mal${me ? ", " + me.name : ""}. mal nudges managers about 1:1s, invites employees to prepare, and follows up what was agreed.`)));
  let lastDay = null;
  const all = [...dm, ...(S.local[S.me] || [])].sort((a, b) => tsCompare(a.ts, b.ts));
  for (const m of all) {
    const date = tsDate(m.ts);
    const day = dayLabel(date, tz);
    if (day !== lastDay) {
      list.append(h("div", { class: "day-divider" }, h("span", {}, day)));
      lastDay = day;
    }
    const fromBot = m.kind !== "user";
    const name = fromBot ? "mal" : (S.names[m.user] || m.user);
    const content = m.kind === "user" || !(m.blocks && m.blocks.length)
      ? mrkdwn(m.text)
      : renderBlocks(m.blocks, { surface: "message", ts: m.ts });
    const row = h("div", { class: "message" + (m.kind === "ephemeral" ? " ephemeral" : "") + (m.kind === "local" ? " ephemeral local" : ""), dataset: { ts: m.ts, kind: m.kind, testid: "message" } },
      avatar(fromBot ? BOT_ID : m.user, name),
      h("div", { class: "message-main" },
        h("div", { class: "message-meta" },
          h("span", { class: "message-author" }, name),
          fromBot ? h("span", { class: "app-badge" }, "APP") : null,
          h("span", { class: "message-time", title: date.toISOString() }, timeLabel(date, tz)),
          m.edited ? h("span", { class: "edited" }, "(edited)") : null),
        m.kind === "ephemeral" || m.kind === "local" ? h("div", { class: "only-you" }, "Only visible to you") : null,
        content));
    list.append(row);
  }
  if (nearBottom || S.scrollToEnd) list.scrollTop = list.scrollHeight;
  S.scrollToEnd = false;
}

function renderHome(view) {
  const box = $(".home");
  box.replaceChildren();
  if (!view) {
    box.append(h("div", { class: "home-empty" }, "Opening the Home tab…"));
    return;
  }
  box.append(renderBlocks(view.blocks, { surface: "home", viewId: view.id }));
}

// ---------------------------------------------------------------- modals

function modalKey(view) {
  return `${view.id}:${view.hash}`;
}

function renderModal(stack) {
  const backdrop = $(".modal-backdrop");
  const view = stack.length ? stack[stack.length - 1] : null;
  if (!view) {
    backdrop.hidden = true;
    S.modal = null;
    return;
  }
  const errors = view.errors || {};
  if (S.modal && S.modal.key === modalKey(view)) {
    S.modal.serverErrors = errors;
    showModalErrors();
    return;
  }
  const values = {};
  const stateValues = (view.state && view.state.values) || {};
  for (const block of view.blocks || []) {
    if (block.type !== "input" || !block.element) continue;
    values[block.block_id] = initialValue(block.element);
    const kept = (stateValues[block.block_id] || {})[block.element.action_id];
    if (kept) values[block.block_id] = stateValueOf(kept, values[block.block_id]);
  }
  S.modal = { key: modalKey(view), id: view.id, view, values, clientErrors: {}, serverErrors: errors, depth: stack.length };
  $(".modal-title").textContent = plainText(view.title);
  $(".modal-back").hidden = stack.length < 2;
  const close = $("[data-testid=modal-close]");
  close.textContent = plainText(view.close) || "Cancel";
  const submit = $("[data-testid=modal-submit]");
  submit.hidden = !view.submit;
  submit.textContent = plainText(view.submit) || "Submit";
  submit.disabled = false;
  const body = $(".modal-body");
  body.replaceChildren(renderBlocks(view.blocks, { surface: "modal", viewId: view.id }));
  backdrop.hidden = false;
  showModalErrors();
  const first = body.querySelector("input:not([type=checkbox]):not([type=radio]), textarea, select");
  if (first && !body.contains(document.activeElement)) first.focus();
}

function stateValueOf(entry, fallback) {
  for (const key of ["value", "selected_date", "selected_time", "selected_user"]) if (key in entry) return entry[key];
  if ("selected_option" in entry) return entry.selected_option ? entry.selected_option.value : null;
  if ("selected_options" in entry) return (entry.selected_options || []).map((o) => o.value);
  if ("selected_users" in entry) return entry.selected_users;
  return fallback;
}

function showModalErrors() {
  if (!S.modal) return;
  for (const slot of document.querySelectorAll(".modal-body .b-error")) {
    const id = slot.dataset.errorFor;
    const text = S.modal.clientErrors[id] || S.modal.serverErrors[id] || "";
    slot.textContent = text;
    slot.closest(".b-input").classList.toggle("has-error", Boolean(text));
  }
}

async function submitModal() {
  const modal = S.modal;
  if (!modal || !S.me) return;
  const errors = {};
  for (const block of modal.view.blocks || []) {
    if (block.type !== "input" || block.optional) continue;
    if (isEmpty(modal.values[block.block_id])) errors[block.block_id] = "Please complete this required field.";
  }
  modal.clientErrors = errors;
  showModalErrors();
  if (Object.keys(errors).length) return;
  const submit = $("[data-testid=modal-submit]");
  submit.disabled = true;
  try {
    const answer = await api(`/api/users/${S.me}/submit`, { view_id: modal.id, values: modal.values });
    modal.serverErrors = answer.errors || {};
    showModalErrors();
    if (!answer.ok) toast(`The bot answered ${answer.status}.`);
  } catch (error) {
    toast(`Not sent: ${error.message}`);
  } finally {
    submit.disabled = false;
    refresh();
  }
}

// Cancel and Back close the view on top; the × (and Escape) close the whole stack, as in Slack.
async function closeModal(clear) {
  const modal = S.modal;
  if (!modal || !S.me) return;
  try {
    await api(`/api/users/${S.me}/close`, { view_id: modal.id, clear: Boolean(clear) && modal.depth > 1 });
  } catch (error) {
    toast(`Could not close: ${error.message}`);
  }
  refresh();
}

// ---------------------------------------------------------------- composer

async function send(text) {
  const me = S.me;
  if (!me || !text.trim()) return;
  S.scrollToEnd = true;
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith("/")) {
      const [command, rest] = splitOnce(trimmed, " ");
      if (command !== "/mal") {
        const notes = S.local[me] || (S.local[me] = []);
        const whole = Math.floor(Date.parse(S.clock.now) / 1000);
        notes.push({ ts: `${whole}.${String(999000 + notes.length).padStart(6, "0")}`, kind: "local", user: BOT_ID,
          text: `\`${command}\` is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`, blocks: [] });
        S.last.dm = null;
      } else {
        await api(`/api/users/${me}/command`, { command, text: rest.trim() });
      }
    } else {
      await api(`/api/users/${me}/message`, { text });
    }
  } catch (error) {
    toast(`Not sent: ${error.message}`);
  }
  refresh();
}

// ---------------------------------------------------------------- state

function choose(id) {
  if (S.me === id) return;
  S.me = id;
  localStorage.setItem("mal-sandbox-me", id);
  S.generation += 1;
  S.last = { dm: null, home: null, people: null, clock: null };
  S.modal = null;
  S.scrollToEnd = true;
  $(".modal-backdrop").hidden = true;
  renderPeople();
  if (S.tab === "home") openHome();
  refresh();
}

function switchTab(tab) {
  S.tab = tab;
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === tab);
  $(".pane-messages").hidden = tab !== "messages";
  $(".pane-home").hidden = tab !== "home";
  if (tab === "home") openHome();
  else S.scrollToEnd = true;
  S.last.dm = null;
  refresh();
}

async function openHome() {
  if (!S.me) return;
  try {
    await api(`/api/users/${S.me}/home`, {});
  } catch (error) {
    toast(`The Home tab did not open: ${error.message}`);
  }
  S.last.home = null;
  refresh();
}

function apply(state) {
  const peopleJson = JSON.stringify(state.people);
  S.clock = state.clock;
  if (peopleJson !== S.last.people) {
    S.people = state.people;
    for (const p of S.people) S.names[p.id] = p.name;
    S.last.people = peopleJson;
  }
  for (const p of S.people) if ((S.seen[p.id] || 0) > p.received) S.seen[p.id] = p.received;  // after --reset
  const me = S.people.find((p) => p.id === S.me);
  if (me && S.tab === "messages") {
    S.seen[S.me] = me.received;
    localStorage.setItem("mal-sandbox-seen", JSON.stringify(S.seen));
  }
  renderPeople();
  renderClock();
  const dmJson = JSON.stringify(state.dm) + JSON.stringify(S.local[S.me] || []);
  if (dmJson !== S.last.dm) { renderMessages(state.dm); S.last.dm = dmJson; }
  const homeJson = JSON.stringify(state.home);
  if (homeJson !== S.last.home) { if (S.tab === "home") renderHome(state.home); S.last.home = S.tab === "home" ? homeJson : null; }
  renderModal(state.modals || []);
  document.body.dataset.ready = "true";
}

let polling = null;
async function refresh() {
  if (!S.me) return;
  const generation = S.generation;
  try {
    const state = await api(`/api/users/${S.me}/state`);
    if (generation === S.generation) apply(state);
  } catch (error) {
    toast(`The sandbox did not answer: ${error.message}`);
  }
}

async function loop() {
  await refresh();
  polling = setTimeout(loop, POLL_MS);
}

async function boot() {
  S.people = await api("/api/people");
  for (const p of S.people) S.names[p.id] = p.name;
  if (!S.people.some((p) => p.id === S.me)) S.me = S.people.length ? S.people[0].id : null;
  renderPeople();
  for (const button of document.querySelectorAll(".clock-btn")) button.addEventListener("click", () => moveClock(button.dataset.move));
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => switchTab(tab.dataset.tab));
  $("[data-testid=modal-submit]").addEventListener("click", submitModal);
  $("[data-testid=modal-close]").addEventListener("click", () => closeModal(false));
  $("[data-testid=modal-x]").addEventListener("click", () => closeModal(true));
  $("[data-testid=modal-back]").addEventListener("click", () => closeModal(false));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && S.modal) closeModal(true); });
  const form = $(".composer");
  const input = $(".composer textarea");
  const hint = $(".command-hint");
  const submit = () => { const text = input.value; input.value = ""; hint.hidden = true; send(text); };
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
  });
  hint.addEventListener("click", () => { input.value = "/mal "; hint.hidden = true; input.focus(); });
  input.addEventListener("input", () => {
    hint.hidden = !/^\/\S*$/.test(input.value) || !"/mal".startsWith(input.value);
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 200) + "px";
  });
  loop();
}

boot().catch((error) => toast(`The sandbox did not start: ${error.message}`));
