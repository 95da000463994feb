// mass-audio Live API script, for the `js` object of the mass-audio device (ES5: runs in `js`
// on every Max for Live version and in `v8` on Max 9). node.script cannot reach the Live API, so the
// Node for Max script sends `insert PATH` here and this script creates the clip.
//
// insert PATH   new audio clip from PATH in the next empty clip slot of this device's track, after the
//               playing (else fired, else highlighted) slot; a new scene when none is empty.
//               Needs ClipSlot.create_audio_clip (Live 12.0.5+). Otherwise: `fallback PATH` out,
//               so the device shows the path to drag from.
// selectedclip  `target PATH` out: the file of the audio clip shown in Live's clip view.
//
// Out (one outlet): `message TEXT`, `fallback PATH`, `target PATH`.

/* eslint-disable @typescript-eslint/no-unused-vars -- Max calls the top-level functions by message name and reads inlets/outlets */
/* global LiveAPI, outlet, post, arrayfromargs, inlets:writable, outlets:writable, autowatch:writable */

autowatch = 0;
inlets = 1;
outlets = 1;

var TRACK_PATH = /^live_set tracks (\d+)$/;
var SLOT_PATH = /^live_set tracks (\d+) clip_slots (\d+)$/;

function joinArgs(args) {
  return arrayfromargs(args).join(" ").replace(/^\s+|\s+$/g, "");
}

function fileName(path) {
  var parts = String(path).split(/[\\/]/);
  return parts[parts.length - 1];
}

function say(text) {
  outlet(0, "message", text);
}

// A property as a number: LiveAPI.get returns an array of atoms.
function getNumber(api, property) {
  var value = api.get(property);
  return Number(value && value.length !== undefined ? value[0] : value);
}

function getText(api, property) {
  var value = api.get(property);
  return value && value.join ? value.join(" ") : String(value);
}

// The canonical path of an object reached by a relative path ("this_device canonical_parent").
function canonicalPath(api) {
  return new LiveAPI("id " + api.id).unquotedpath;
}

function exists(api) {
  return api && Number(api.id) !== 0;
}

function firstEmptySlot(trackPath, from, count) {
  for (var i = Math.max(0, from); i < count; i++) {
    if (getNumber(new LiveAPI(trackPath + " clip_slots " + i), "has_clip") === 0) return i;
  }
  return -1;
}

// The slot the new clip goes after: playing, else fired, else the highlighted slot if it is on this track.
function anchorSlot(track, trackIndex) {
  var playing = getNumber(track, "playing_slot_index");
  if (playing >= 0) return playing;
  var fired = getNumber(track, "fired_slot_index");
  if (fired >= 0) return fired;
  var highlighted = new LiveAPI("live_set view highlighted_clip_slot");
  if (exists(highlighted)) {
    var match = SLOT_PATH.exec(canonicalPath(highlighted));
    if (match && Number(match[1]) === trackIndex) return Number(match[2]);
  }
  return -1;
}

function fail(reason) {
  return { ok: false, reason: reason };
}

function insertClip(path) {
  var device = new LiveAPI("this_device canonical_parent");
  if (!exists(device)) return fail("the device is not on a track");
  var trackPath = canonicalPath(device);
  var trackMatch = TRACK_PATH.exec(trackPath);
  if (!trackMatch) return fail("return and main tracks have no clip slots");
  if (getNumber(device, "has_audio_input") !== 1) return fail("this is not an audio track");
  var count = device.getcount("clip_slots");
  if (count < 1) return fail("this track has no clip slots");
  var probe = new LiveAPI(trackPath + " clip_slots 0");
  if (String(probe.info).indexOf("create_audio_clip") < 0) return fail("this Live has no ClipSlot.create_audio_clip (Live 12.0.5 or newer)");

  var anchor = anchorSlot(device, Number(trackMatch[1]));
  var index = firstEmptySlot(trackPath, anchor + 1, count);
  var newScene = false;
  if (index < 0) {
    new LiveAPI("live_set").call("create_scene", -1);
    newScene = true;
    count = device.getcount("clip_slots");
    index = firstEmptySlot(trackPath, anchor + 1, count);
    if (index < 0) return fail("no empty clip slot after the current one");
  }
  var slot = new LiveAPI(trackPath + " clip_slots " + index);
  try {
    slot.call("create_audio_clip", path);
  } catch (error) {
    return fail("create_audio_clip failed: " + error);
  }
  if (getNumber(slot, "has_clip") !== 1) return fail("Live did not create the clip (file missing or unsupported?)");
  return { ok: true, slot: index, newScene: newScene };
}

function insert() {
  var path = joinArgs(arguments);
  if (path === "") {
    say("insert: no file");
    return;
  }
  var result = insertClip(path);
  if (result.ok) {
    say("inserted " + fileName(path) + " in clip slot " + (result.slot + 1) + (result.newScene ? " (new scene)" : ""));
    return;
  }
  outlet(0, "fallback", path);
  say(result.reason + ": drag " + fileName(path) + " into Live (path below)");
  post("mass-audio: " + result.reason + "; file: " + path + "\n");
}

function selectedclip() {
  var clip = new LiveAPI("live_set view detail_clip");
  if (!exists(clip)) {
    say("select an audio clip first");
    return;
  }
  if (getNumber(clip, "is_audio_clip") !== 1) {
    say("the selected clip is not an audio clip");
    return;
  }
  var path = getText(clip, "file_path");
  if (path === "") {
    say("the selected clip has no file");
    return;
  }
  outlet(0, "target", path);
}
