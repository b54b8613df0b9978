// Small progressive enhancements: every page works without this file.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});

// A signature pad where JavaScript runs: drawing fills the hidden `drawing` field with SVG path data
// (moves and lines). Without it, the typed name beside it is the signature.
document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
  var canvas = pad.querySelector("canvas");
  var field = pad.querySelector("input[type=hidden]");
  var context = canvas.getContext("2d");
  var path = [];
  var drawing = false;
  pad.hidden = false;
  context.lineWidth = 2;
  context.lineCap = "round";
  function point(event) {
    var box = canvas.getBoundingClientRect();
    return [Math.round((event.clientX - box.left) * canvas.width / box.width), Math.round((event.clientY - box.top) * canvas.height / box.height)];
  }
  canvas.addEventListener("pointerdown", function (event) {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    var p = point(event);
    path.push("M" + p[0] + " " + p[1]);
    context.beginPath();
    context.moveTo(p[0], p[1]);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    path.push("L" + p[0] + " " + p[1]);
    context.lineTo(p[0], p[1]);
    context.stroke();
  });
  function end() {
    drawing = false;
    field.value = path.join(" ");
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
    path = [];
    field.value = "";
    context.clearRect(0, 0, canvas.width, canvas.height);
  });
});
