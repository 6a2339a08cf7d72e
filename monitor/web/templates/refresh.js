(function(){var s=Number(document.documentElement.dataset.refresh);if(s>0){setInterval(function(){if(!document.hidden){location.reload();}},s*1000);}})();
