// Show how far a large upload has gone, then the server's summary page.
// Without JavaScript the form posts as usual.
const form = document.querySelector("form[data-upload-progress]");
if (form && window.XMLHttpRequest) {
  form.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]").files[0];
    if (!file || file.size < 256 * 1024) return; // small files: the normal post is quick
    event.preventDefault();
    const status = document.getElementById("upload-progress");
    const bar = status.querySelector("progress");
    const text = status.querySelector("span");
    status.hidden = false;
    const request = new XMLHttpRequest();
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        text.textContent = `Uploading: ${bar.value}%`;
      }
    });
    request.upload.addEventListener("load", () => {
      text.textContent = "Uploaded: checking every row and importing…";
    });
    request.addEventListener("load", () => {
      if (request.responseURL.includes("/jobs/")) {
        // A large file is imported by a job: go to its page, which shows how it is going.
        window.location.assign(request.responseURL);
        return;
      }
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", () => {
      text.textContent = "The upload failed: check your connection and try again.";
    });
    request.open("POST", form.action || window.location.href);
    request.send(new FormData(form));
  });
}
