// The experiment's arm rows: the variant chooser lists only the chosen placement's
// variants, rows are added and removed (and renumbered), the control row is prefilled
// with what visitors see today, and the shares' total is shown. Keys follow the names
// through Wagtail's own w-sync / w-slug controllers, set on each row's inputs.
(() => {
  const setup = (root) => {
    const placement = document.querySelector('[data-experiment-placement]');
    const body = root.querySelector('[data-experiment-arm-rows]');
    const template = root.querySelector('[data-experiment-arm-template]');
    const total = root.querySelector('[data-experiment-arm-total]');
    const addButton = root.querySelector('[data-experiment-add-arm]');
    // A page torn down mid-parse (back/forward) can hand over a partial widget.
    if (!body || !template || !total || !addButton) return;
    const name = root.dataset.experimentArms;
    const max = Number(root.dataset.maxArms || 10);
    const groups = Array.from(template.content.querySelectorAll('optgroup'));
    const rows = () => Array.from(body.querySelectorAll('[data-experiment-arm]'));
    const prefix = new RegExp(`^(#?(?:id_)?${name})-[^-]+-`);

    const fillVariants = (select) => {
      const value = select.value;
      const chosen = placement ? placement.value : '';
      select.querySelectorAll('optgroup').forEach((group) => group.remove());
      select.options[0].textContent = chosen ? 'Choose a variant…' : 'Choose the placement first';
      groups
        .filter((group) => chosen && group.dataset.placement === chosen)
        .forEach((group) => select.appendChild(group.cloneNode(true)));
      select.value = value;
      if (select.selectedIndex < 0) select.value = '';
    };

    const setInput = (input, value) => {
      input.value = value;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    };

    const renumber = () => {
      rows().forEach((row, index) => {
        row.querySelectorAll('[name], [id], [data-w-sync-target-value]').forEach((element) => {
          ['name', 'id', 'data-w-sync-target-value'].forEach((attribute) => {
            const current = element.getAttribute(attribute);
            if (current) element.setAttribute(attribute, current.replace(prefix, `$1-${index}-`));
          });
        });
        const note = row.querySelector('[data-experiment-control-note]');
        note.textContent = index === 0 ? 'Control: what visitors see today' : '';
        row.querySelector('[data-experiment-remove-arm]').hidden = rows().length <= 2;
      });
      addButton.hidden = rows().length >= max;
      showTotal();
    };

    const showTotal = () => {
      const sum = rows().reduce(
        (acc, row) => acc + (Number(row.querySelector('[data-experiment-share]').value) || 0),
        0,
      );
      total.textContent =
        sum === 100 ? 'The shares add up to 100%.' : `The shares add up to ${sum}%: make them 100%.`;
      total.classList.toggle('experiment-arms__total--off', sum !== 100);
    };

    const prefillControl = () => {
      const [first] = rows();
      if (!first) return;
      const select = first.querySelector('[data-experiment-variant]');
      const fallback = select.querySelector('option[data-fallback]');
      if (!select.value && fallback) select.value = fallback.value;
      const nameInput = first.querySelector('input[name$="-name"]');
      if (!nameInput.value) setInput(nameInput, 'Control');
    };

    addButton.addEventListener('click', () => {
      const used = rows().reduce(
        (acc, row) => acc + (Number(row.querySelector('[data-experiment-share]').value) || 0),
        0,
      );
      const html = template.innerHTML.replaceAll('__index__', String(rows().length));
      body.insertAdjacentHTML('beforeend', html);
      const row = rows().at(-1);
      fillVariants(row.querySelector('[data-experiment-variant]'));
      row.querySelector('[data-experiment-share]').value = Math.max(100 - used, 0) || '';
      renumber();
      row.querySelector('input[name$="-name"]').focus();
    });

    body.addEventListener('click', (event) => {
      const remove = event.target.closest('[data-experiment-remove-arm]');
      if (!remove) return;
      remove.closest('[data-experiment-arm]').remove();
      renumber();
    });
    body.addEventListener('input', showTotal);

    const onPlacement = () => {
      rows().forEach((row) => fillVariants(row.querySelector('[data-experiment-variant]')));
      if (placement && placement.value) prefillControl();
    };
    if (placement) placement.addEventListener('change', onPlacement);
    rows().forEach((row) => fillVariants(row.querySelector('[data-experiment-variant]')));
    if (placement && placement.value) prefillControl();
    renumber();
  };

  const start = () => document.querySelectorAll('[data-experiment-arms]').forEach(setup);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
