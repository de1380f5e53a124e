/* runlab 3D viewer: the skeleton, the cameras and the overlay videos at one frame index.
   Data: the JSON in #runlab-data (pipeline/report/viewer.py writes it); arrays are base64
   little-endian typed arrays. Exposes window.runlabViewer for tests and scripting. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('runlab-data').textContent);
  var STATUS_COLOURS = [null, [0.13, 0.13, 0.13], [1.0, 0.6, 0.0], [0.88, 0.25, 0.98]];
  var NO_VALUE = -32768;

  function decode(b64, Type) {
    if (!b64) { return null; }
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Type(bytes.buffer);
  }
  var nF = D.nFrames, nK = D.nKeypoints || 0;
  var P = decode(D.points, Int16Array), S = decode(D.status, Uint8Array);
  var NV = decode(D.nViews, Uint8Array), RE = decode(D.reprojection, Uint16Array);
  var SD = decode(D.sd, Uint16Array);
  var origin = D.origin || [0, 0, 0];

  var notes = document.getElementById('notes');
  function note(text) { var li = document.createElement('li'); li.textContent = text; notes.appendChild(li); }
  D.missing.forEach(note);

  var state = {frame: 0, frame3d: -1, playing: false, speed: 1, videoFrames: {}};
  var view = document.getElementById('view3d');
  var frameLabel = document.getElementById('frame3d');
  var scrub = document.getElementById('scrub');
  var clock = document.getElementById('clock');
  scrub.max = Math.max(0, nF - 1);

  /* ---------- 3D ---------- */
  var three = null;
  function empty3d(text) {
    var div = document.createElement('div');
    div.id = 'empty3d'; div.textContent = text; view.appendChild(div);
  }
  function position(f, k) {            // metres about the origin, or null when missing
    var i = (f * nK + k) * 3;
    if (P[i] === NO_VALUE) { return null; }
    return [P[i] / 1000, P[i + 1] / 1000, P[i + 2] / 1000];
  }
  function pelvis(f) {
    var k = D.keypoints.indexOf('hip');
    return k < 0 ? null : position(f, k);
  }
  function setup3d() {
    if (!nF) { empty3d('No 3D to show: ' + (D.missing[0] || 'the trial has no 3D points.')); return; }
    if (typeof THREE === 'undefined') { empty3d('three.js did not load: the 3D cannot be drawn.'); return; }
    var renderer;
    try {
      renderer = new THREE.WebGLRenderer({antialias: true, preserveDrawingBuffer: true});
    } catch (e) {
      empty3d('WebGL is not available in this browser (' + e.message + '): the 3D cannot be ' +
              'drawn; the videos and the timeline still work.');
      return;
    }
    var W = view.clientWidth, H = view.clientHeight;
    renderer.setSize(W, H);
    renderer.setClearColor(0xf4f4f4);
    view.insertBefore(renderer.domElement, view.firstChild);
    var scene = new THREE.Scene();
    var camera = new THREE.PerspectiveCamera(40, W / H, 0.05, 200);
    camera.up.set(0, 0, 1);
    var controls = new THREE.OrbitControls(camera, renderer.domElement);
    // floor: a 1 m grid on Z = 0, of 1 m pieces (a line through the camera's plane is
    // dropped whole by some GL drivers, SwiftShader among them)
    var floor = [], axes = [];
    for (var i = -8; i <= 8; i++) {
      for (var j = -8; j < 8; j++) {
        (i === 0 ? axes : floor).push(i, j, 0, i, j + 1, 0, j, i, 0, j + 1, i, 0);
      }
    }
    [[floor, 0xcccccc], [axes, 0x999999]].forEach(function (g) {
      var geo = new THREE.BufferGeometry();
      geo.setAttribute('position', new THREE.Float32BufferAttribute(g[0], 3));
      scene.add(new THREE.LineSegments(geo, new THREE.LineBasicMaterial({color: g[1]})));
    });
    // cameras: a pyramid from the centre to the image corners, and the name
    var camLines = [], labels = [];
    D.cameras.forEach(function (c) {
      var o = c.centre.map(function (v, i) { return v - origin[i]; });
      var q = c.corners.map(function (p) { return p.map(function (v, i) { return v - origin[i]; }); });
      for (var i = 0; i < 4; i++) { camLines.push(o, q[i], q[i], q[(i + 1) % 4]); }
      var label = document.createElement('div');
      label.className = 'label3d'; label.textContent = c.name; view.appendChild(label);
      labels.push({el: label, at: new THREE.Vector3(o[0], o[1], o[2])});
    });
    if (camLines.length) {
      var cg = new THREE.BufferGeometry();
      cg.setAttribute('position', new THREE.Float32BufferAttribute([].concat.apply([], camLines), 3));
      scene.add(new THREE.LineSegments(cg, new THREE.LineBasicMaterial({color: 0x2e7d32})));
    }
    // skeleton: bones (coloured by side) and points (coloured by status)
    var boneGeo = new THREE.BufferGeometry();
    var bonePos = new Float32Array(D.bones.length * 6), boneCol = new Float32Array(D.bones.length * 6);
    boneGeo.setAttribute('position', new THREE.BufferAttribute(bonePos, 3));
    boneGeo.setAttribute('color', new THREE.BufferAttribute(boneCol, 3));
    var bones = new THREE.LineSegments(boneGeo, new THREE.LineBasicMaterial({vertexColors: true}));
    bones.frustumCulled = false; scene.add(bones);
    var pointGeo = new THREE.BufferGeometry();
    var pointPos = new Float32Array(nK * 3), pointCol = new Float32Array(nK * 3);
    pointGeo.setAttribute('position', new THREE.BufferAttribute(pointPos, 3));
    pointGeo.setAttribute('color', new THREE.BufferAttribute(pointCol, 3));
    var points = new THREE.Points(pointGeo, new THREE.PointsMaterial({size: 0.06, vertexColors: true}));
    points.frustumCulled = false; scene.add(points);
    var drawn = [];                       // drawn point index -> keypoint index
    function sideColour(a, b) {
      var n = D.keypoints[a] + D.keypoints[b];
      return n.indexOf('left') >= 0 ? [0.12, 0.47, 0.71] : n.indexOf('right') >= 0 ? [0.84, 0.15, 0.16] : [0.2, 0.6, 0.2];
    }
    function show(f) {
      var nb = 0;
      D.bones.forEach(function (bone) {
        var a = position(f, bone[0]), b = position(f, bone[1]);
        if (!a || !b) { return; }
        var c = sideColour(bone[0], bone[1]);
        bonePos.set(a, nb * 6); bonePos.set(b, nb * 6 + 3);
        boneCol.set(c, nb * 6); boneCol.set(c, nb * 6 + 3); nb++;
      });
      boneGeo.setDrawRange(0, nb * 2);
      boneGeo.attributes.position.needsUpdate = true; boneGeo.attributes.color.needsUpdate = true;
      drawn = [];
      for (var k = 0; k < nK; k++) {
        var p = position(f, k);
        if (!p) { continue; }
        pointPos.set(p, drawn.length * 3);
        pointCol.set(STATUS_COLOURS[S[f * nK + k]] || STATUS_COLOURS[1], drawn.length * 3);
        drawn.push(k);
      }
      pointGeo.setDrawRange(0, drawn.length);
      pointGeo.attributes.position.needsUpdate = true; pointGeo.attributes.color.needsUpdate = true;
      if (follow.checked) {
        var c = pelvis(f);
        if (c) { var d = new THREE.Vector3(c[0], c[1], controls.target.z).sub(controls.target);
                 controls.target.add(d); camera.position.add(d); }
      }
      state.frame3d = f;
    }
    var follow = document.getElementById('follow');
    var fwd = new THREE.Vector3().fromArray(D.forward).setZ(0).normalize();
    var left = new THREE.Vector3(0, 0, 1).cross(fwd);      // lateral = up x forward
    var reach = 4;                          // overview: far enough to see every camera
    D.cameras.forEach(function (c) {
      reach = Math.max(reach, 0.9 * Math.hypot(c.centre[0] - origin[0], c.centre[1] - origin[1]));
    });
    function standard(name) {
      var c = pelvis(state.frame) || [0, 0, 1];
      var target = new THREE.Vector3(c[0], c[1], 0.9);
      var offset = name === 'behind' ? fwd.clone().multiplyScalar(-5).setZ(1.2)
        : name === 'side' ? left.clone().multiplyScalar(-5).setZ(1.2)
        : name === 'top' ? fwd.clone().multiplyScalar(-0.01).setZ(6)
        : fwd.clone().add(left).multiplyScalar(-reach).setZ(0.8 * reach);   // overview
      controls.target.copy(target);
      camera.position.copy(target).add(offset);
      controls.update();
    }
    document.querySelectorAll('#views button').forEach(function (b) {
      b.addEventListener('click', function () { standard(b.dataset.view); });
    });
    // overground (the runner travels > 1 m): follow the pelvis by default
    var a = pelvis(0), z = pelvis(nF - 1);
    follow.checked = !!(a && z && Math.hypot(a[0] - z[0], a[1] - z[1]) > 1);
    // hover: the nearest drawn point under the mouse, with how it was obtained
    var ray = new THREE.Raycaster(); ray.params.Points.threshold = 0.03;
    var tip = document.getElementById('tip');
    renderer.domElement.addEventListener('mousemove', function (e) {
      var r = renderer.domElement.getBoundingClientRect();
      ray.setFromCamera(new THREE.Vector2((e.clientX - r.left) / r.width * 2 - 1,
                                          -(e.clientY - r.top) / r.height * 2 + 1), camera);
      var hit = ray.intersectObject(points)[0];
      if (!hit) { tip.style.display = 'none'; return; }
      tip.textContent = describe(state.frame3d, drawn[hit.index]);
      tip.style.left = (e.clientX - r.left + 12) + 'px'; tip.style.top = (e.clientY - r.top + 12) + 'px';
      tip.style.display = 'block';
    });
    function render() {
      controls.update();
      renderer.render(scene, camera);
      labels.forEach(function (l) {
        var p = l.at.clone().project(camera);
        var vis = p.z < 1 && Math.abs(p.x) < 1 && Math.abs(p.y) < 1;
        l.el.style.display = vis ? 'block' : 'none';
        l.el.style.left = ((p.x + 1) / 2 * W) + 'px'; l.el.style.top = ((1 - p.y) / 2 * H) + 'px';
      });
    }
    controls.addEventListener('change', function () { requestAnimationFrame(render); });
    function screenOf(k) {                // page pixel of keypoint k as drawn now (null: not drawn)
      var p = position(state.frame3d, k);
      if (!p) { return null; }
      var v = new THREE.Vector3(p[0], p[1], p[2]).project(camera);
      var r = renderer.domElement.getBoundingClientRect();
      return [r.left + (v.x + 1) / 2 * r.width, r.top + (1 - v.y) / 2 * r.height];
    }
    three = {show: show, render: render, standard: standard, screenOf: screenOf};
    show(0);
    standard('overview');
  }
  function describe(f, k) {
    var i = f * nK + k, lines = [D.keypoints[k] + ' at frame ' + f, 'status: ' + D.statusNames[S[i]]];
    lines.push('views used: ' + NV[i]);
    if (RE && RE[i] !== 65535) { lines.push('reprojection error: ' + (RE[i] / 100).toFixed(2) + ' px'); }
    if (SD && SD[i] !== 65535) {
      var sd = SD[i] / 100;
      lines.push('predicted SD: ' + sd.toFixed(1) + ' mm per px of 2D error' +
                 (RE && RE[i] !== 65535 ? ' (about ' + (sd * RE[i] / 100).toFixed(1) + ' mm here)' : ''));
    } else { lines.push('predicted SD: unknown (no views: ' + D.statusNames[S[i]] + ')'); }
    return lines.join('\n');
  }

  /* ---------- videos, frame-locked ---------- */
  var videoBox = document.getElementById('videos');
  var videos = D.videos.map(function (v) {
    var fig = document.createElement('figure');
    var el = document.createElement('video');
    el.muted = true; el.preload = 'auto'; el.playsInline = true; el.src = v.href;
    var cap = document.createElement('figcaption');
    var idx = document.createElement('b'); idx.textContent = '-';
    var msg = document.createElement('span');
    cap.append('camera ' + v.camera + ' | frame ', idx, msg);
    fig.append(el, cap); videoBox.appendChild(fig);
    var entry = {meta: v, el: el, idx: idx, msg: msg, wanted: -1, shown: -1};
    el.addEventListener('error', function () {
      msg.textContent = ' | the video cannot be played here (' + (el.error ? el.error.message || el.error.code : '') + ')';
    });
    el.addEventListener('seeked', function () { settle(entry); });
    el.addEventListener('loadeddata', function () { seekVideo(entry, state.frame); });
    return entry;
  });
  if (!videos.length && nF) { note('No overlay video to show beside the 3D.'); }
  function settle(entry) {
    // the frame on screen: the one whose span holds currentTime (frame i spans [i, i+1) / fps)
    entry.shown = Math.floor(entry.el.currentTime * entry.meta.fps + 1e-6);
    entry.idx.textContent = String(entry.shown);
    state.videoFrames[entry.meta.camera] = entry.shown;
    if (entry.wanted >= 0 && entry.wanted !== entry.shown && !entry.el.seeking) { seekVideo(entry, entry.wanted); }
  }
  function seekVideo(entry, f) {
    entry.wanted = f;
    if (entry.meta.frames && f >= entry.meta.frames) {
      entry.idx.textContent = '-';
      entry.msg.textContent = ' | the video ends at frame ' + (entry.meta.frames - 1);
      entry.shown = -1; state.videoFrames[entry.meta.camera] = -1;
      return;
    }
    entry.msg.textContent = '';
    if (entry.el.readyState < 1 || entry.el.seeking) { return; }   // settle() catches up
    var t = (f + 0.5) / entry.meta.fps;
    if (Math.abs(entry.el.currentTime - t) < 1e-6) { settle(entry); return; }
    entry.el.currentTime = t;
  }

  /* ---------- timeline ---------- */
  var track = document.getElementById('track');
  D.events.forEach(function (e) {
    var b = document.createElement('button');
    b.className = 'ev ' + (e.kind === 'foot strike' ? 'strike ' : 'toeoff ') + e.side;
    b.style.left = (nF > 1 ? 100 * e.frame / (nF - 1) : 0) + '%';
    b.title = e.side + ' ' + e.kind + ', frame ' + e.frame;
    b.addEventListener('click', function () { pause(); setFrame(e.frame); });
    track.appendChild(b);
  });
  if (nF && !D.events.length) { note('No foot strike or toe-off was found: the timeline has no events.'); }
  function setFrame(f) {
    if (!nF) { return; }
    f = Math.max(0, Math.min(nF - 1, Math.round(f)));
    state.frame = f;
    scrub.value = f;
    frameLabel.textContent = 'frame ' + f;
    clock.textContent = 'frame ' + f + ' / ' + (nF - 1) + ', t = ' + (f / D.fps).toFixed(3) + ' s';
    if (three) { three.show(f); three.render(); }
    videos.forEach(function (v) { seekVideo(v, f); });
  }
  function jumpEvent(dir) {
    var cands = D.events.filter(function (e) { return dir > 0 ? e.frame > state.frame : e.frame < state.frame; });
    if (cands.length) { setFrame(cands[dir > 0 ? 0 : cands.length - 1].frame); }
  }
  var playButton = document.getElementById('play'), started = 0, startFrame = 0;
  function pause() { state.playing = false; playButton.textContent = 'play'; }
  function tick(now) {
    if (!state.playing) { return; }
    var f = startFrame + Math.floor((now - started) / 1000 * D.fps * state.speed);
    if (f >= nF) { startFrame = 0; started = now; f = 0; }
    if (f !== state.frame) { setFrame(f); }
    requestAnimationFrame(tick);
  }
  playButton.addEventListener('click', function () {
    if (state.playing) { pause(); return; }
    state.playing = true; playButton.textContent = 'pause';
    started = performance.now(); startFrame = state.frame; requestAnimationFrame(tick);
  });
  document.getElementById('speed').addEventListener('change', function (e) {
    state.speed = parseFloat(e.target.value); started = performance.now(); startFrame = state.frame;
  });
  document.getElementById('back').addEventListener('click', function () { pause(); setFrame(state.frame - 1); });
  document.getElementById('fwd').addEventListener('click', function () { pause(); setFrame(state.frame + 1); });
  document.getElementById('prevEvent').addEventListener('click', function () { pause(); jumpEvent(-1); });
  document.getElementById('nextEvent').addEventListener('click', function () { pause(); jumpEvent(1); });
  scrub.addEventListener('input', function () { pause(); setFrame(parseInt(scrub.value, 10)); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowLeft') { pause(); setFrame(state.frame - 1); }
    else if (e.key === 'ArrowRight') { pause(); setFrame(state.frame + 1); }
    else if (e.key === ' ') { e.preventDefault(); playButton.click(); }
  });
  if (!nF) {
    document.querySelectorAll('#controls button, #scrub').forEach(function (b) { b.disabled = true; });
  }

  setup3d();
  var hash = /frame=(\d+)/.exec(location.hash);
  setFrame(hash ? parseInt(hash[1], 10) : 0);
  window.runlabViewer = {
    ready: true,
    readyMs: performance.now(),
    setFrame: setFrame,
    state: function () {
      var k = D.keypoints.indexOf('hip'), p = nF && state.frame3d >= 0 ? position(state.frame3d, k) : null;
      return {frame: state.frame, frame3d: three ? state.frame3d : null, drawn3d: !!three,
              hip: p ? p.map(function (v, i) { return v + origin[i]; }) : null,
              label3d: frameLabel.textContent,
              videos: videos.map(function (v) {
                return {camera: v.meta.camera, shown: v.shown, label: v.idx.textContent,
                        seeking: v.el.seeking, ready: v.el.readyState, error: v.el.error ? v.el.error.code : null};
              }),
              notes: Array.from(notes.children).map(function (li) { return li.textContent; })};
    },
    describe: describe,
    screenOf: function (k) { return three ? three.screenOf(k) : null; },
    view: function (name) { if (three) { three.standard(name); three.render(); } }
  };
})();
