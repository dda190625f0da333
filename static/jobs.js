// Keep a job's progress current without reloading: poll its JSON every second, and reload
// the page once the job has finished (to show its result or its error). Without JavaScript
// the job page refreshes itself instead.
const box = document.querySelector("[data-job-poll]");
if (box && !["done", "failed"].includes(box.dataset.jobState)) {
  const text = box.querySelector("[data-job-text]");
  const bar = box.querySelector("[data-job-bar]");
  const number = new Intl.NumberFormat("en-GB");
  const poll = async () => {
    let job;
    try {
      const response = await fetch(box.dataset.jobPoll, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      job = await response.json();
    } catch {
      setTimeout(poll, 5000); // the server is busy or the connection dropped: try again later
      return;
    }
    if (job.finished) {
      window.location.reload();
      return;
    }
    const { done, total, label } = job.progress;
    if (job.state === "running" && text) {
      text.textContent = total
        ? `${number.format(done)} of ${number.format(total)} ${label || "done"}.`
        : "Started: working.";
    }
    if (bar && total) {
      bar.max = total;
      bar.value = done;
    }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
}
